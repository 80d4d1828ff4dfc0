/**
 * Contract between the job-tracking state machine and the job tracker Lambda, and the detail of the
 * public completion event (documented in docs/event-schema.json).
 */

/** The state machine's execution input, passed to the tracker unchanged. */
export interface TrackingInput {
  /** ClientRequestToken (64 hex), also the execution name. */
  token: string;
  engine: 'bulk' | 'per-image';
  /** Set when 'auto' fell back to per-image. */
  fallbackReason?: string;
  manifest: { bucket: string; key: string; version?: string };
  jobName: string;
  /** Absent when the job never started. */
  jobId?: string;
  /** The per-manifest prefix. */
  output: { bucket: string; prefix: string };
  /** Absent means 50, Rekognition's default. */
  minConfidence?: number;
  /** A permanent failure before any job existed (errorReport: s3:// URI). */
  startFailure?: { code: string; message: string; errorReport?: string };
  /**
   * A finished run described by the engine itself, in GetMediaAnalysisJob's response shape
   * (the per-image engine): the tracker then reads it instead of calling Rekognition.
   */
  jobDescription?: FinishedJobDescription;
}

/** The parts of GetMediaAnalysisJob's response the tracker reads, timestamps as ISO strings. */
export interface FinishedJobDescription {
  JobId?: string;
  Status: 'SUCCEEDED' | 'FAILED';
  FailureDetails?: { Code?: string; Message?: string };
  CreationTimestamp?: string;
  CompletionTimestamp?: string;
  Results?: { S3Object?: { Bucket?: string; Name?: string } };
  ManifestSummary?: { S3Object?: { Bucket?: string; Name?: string } };
}

/** What the tracker answers on each poll; `detail` is set once `done`. */
export interface TrackingStep {
  done: boolean;
  /** Rekognition's job status while polling; SUCCEEDED or FAILED once done. */
  status: string;
  detail?: CompletionEventDetail;
}

export type CompletionStatus = 'SUCCEEDED' | 'FAILED';

/** START: no job could be started for the manifest. JOB: the Rekognition job itself failed. */
export type FailureStage = 'START' | 'JOB';

export interface CompletionFailure {
  code: string;
  message: string;
  stage: FailureStage;
}

export interface CompletionOutput {
  bucket: string;
  prefix: string;
  /** s3:// URI of the job's results (Results.S3Object). */
  results: string | null;
  /** s3:// URI of the job's manifest summary (ManifestSummary.S3Object). */
  summary: string | null;
  /** s3:// URI of the flagged-images list the tracker wrote (JSON Lines). */
  flaggedImages: string | null;
  /** s3:// URI of the report written when the job could not start. */
  errorReport: string | null;
}

/** One invalid manifest line, as the manifest summary reports it. */
export interface ManifestLineError {
  lineNumber: number | null;
  sourceRef: string | null;
  code: string;
  message: string;
}

/** The manifest summary's statistics, with its first errors. */
export interface ManifestStatistics {
  totalLines: number;
  validLines: number;
  invalidLines: number;
  /** Number of entries in the summary's errors list. */
  errorCount: number;
  /** The first MAX_REPORTED_ERRORS of them. */
  errors: ManifestLineError[];
}

/** Tally of the results file. */
export interface ModerationStatistics {
  /** Threshold an image's labels were compared with. */
  minConfidence: number;
  /** Result lines that carry moderation labels (duplicated input lines count each time). */
  imagesAnalyzed: number;
  /** Analysed images with at least one label at or above minConfidence. */
  imagesFlagged: number;
  /** Top-level label name -> flagged images with a label at or above minConfidence under it. */
  labels: Record<string, number>;
  /** Result lines that could not be read (not JSON, or malformed labels): in none of the counts above. */
  unreadableLines: number;
}

export interface CompletionTiming {
  createdAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
}

/** `detail` of the 'Moderation Job Completed' event, version 1. */
export interface CompletionEventDetail {
  version: '1';
  /** The deployment's PIPELINE_ID, so rules can tell pipelines apart; null if not configured. */
  pipeline: string | null;
  engine: 'bulk' | 'per-image';
  fallbackReason: string | null;
  jobId: string | null;
  jobName: string;
  token: string;
  status: CompletionStatus;
  manifest: { bucket: string; key: string; version: string | null };
  failure: CompletionFailure | null;
  output: CompletionOutput;
  statistics: ManifestStatistics | null;
  moderation: ModerationStatistics | null;
  timing: CompletionTiming;
}
