/**
 * The completion event: the one event published per manifest when its job has finished (or could
 * never start, or could no longer be followed). Shared by the workflows that publish it, the
 * tracker that builds its detail and the pipeline's rule that matches it. Imports nothing from
 * aws-cdk-lib: handlers bundle it. The public names are on `ModerationEvents`
 * (lib/events/completion-events.ts); docs/event-schema.json documents the detail.
 */

/** `source` of every event the library publishes. */
export const MODERATION_EVENT_SOURCE = 'cdk-bulk-moderation';

/** `detail-type` of the one event published per manifest when its job has finished (or could never start). */
export const JOB_COMPLETED_DETAIL_TYPE = 'Moderation Job Completed';

/** `detail.version` of the events this library version publishes. */
export const COMPLETION_DETAIL_VERSION = '1';

/** Rekognition's MinConfidence when none is given. */
export const DEFAULT_MIN_CONFIDENCE = 50;

/** How many manifest errors the detail lists; the summary object has them all. */
export const MAX_REPORTED_ERRORS = 10;

/** More top-level labels than Rekognition's taxonomy has; only a malformed results file could exceed it. */
export const MAX_REPORTED_LABELS = 100;

/**
 * `detail.status` of a completion event.
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export type CompletionStatus = 'SUCCEEDED' | 'FAILED';

/**
 * Where a manifest failed (`detail.failure.stage`):
 * - START: no job could be started for the manifest (see `output.errorReport`);
 * - JOB: the job itself failed (Rekognition's FailureDetails, or the per-image run's);
 * - RESULTS: the job succeeded but its results or summary were gone (or unreadable) when the
 *   tracker came to read them;
 * - TRACKING_TIMEOUT: the job had not finished when `trackingTimeout` ran out; it was no longer
 *   followed (it may still finish and write its results).
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export const FailureStage = {
  START: 'START',
  JOB: 'JOB',
  RESULTS: 'RESULTS',
  TRACKING_TIMEOUT: 'TRACKING_TIMEOUT',
} as const;
/** @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json. */
export type FailureStage = typeof FailureStage[keyof typeof FailureStage];

/** `detail.failure.code` of the failures the tracker itself decides. */
export const TrackerFailureCode = {
  /** Results.S3Object or ManifestSummary.S3Object named an object that no longer exists. */
  RESULTS_NOT_FOUND: 'RESULTS_NOT_FOUND',
  /** The job was still running when the tracking timeout ran out. */
  TRACKING_TIMEOUT: 'TRACKING_TIMEOUT',
} as const;

/** @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json. */
export interface CompletionFailure {
  code: string;
  message: string;
  stage: FailureStage;
}

/** @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json. */
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

/**
 * One invalid manifest line, as the manifest summary reports it.
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export interface ManifestLineError {
  lineNumber: number | null;
  sourceRef: string | null;
  code: string;
  message: string;
}

/**
 * The manifest summary's statistics, with its first errors.
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export interface ManifestStatistics {
  totalLines: number;
  validLines: number;
  invalidLines: number;
  /** Number of entries in the summary's errors list. */
  errorCount: number;
  /** The first MAX_REPORTED_ERRORS of them. */
  errors: ManifestLineError[];
}

/**
 * Tally of the results file.
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
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

/** @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json. */
export interface CompletionTiming {
  createdAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
}

/**
 * `detail` of the 'Moderation Job Completed' event, version 1 (docs/event-schema.json).
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export interface CompletionEventDetail {
  version: typeof COMPLETION_DETAIL_VERSION;
  /** The pipeline's id (its construct path), so rules can tell pipelines apart; null if not configured. */
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
  /**
   * What the pipeline's ModerationPolicy did, per action. Added to version 1 as an optional field
   * (absent without a policy, or when the job yielded no results): existing consumers see
   * nothing change unless they turn a policy on.
   */
  actions?: ActionCounts;
  /**
   * The objects left out of the manifest's batch (image ingestion or a backfill), from the batch's
   * skip report. Added to version 1 as an optional field: absent for a manifest that no batcher or
   * backfill wrote. A batch cut into several manifests counts its skips once, on the event of its
   * first manifest; its other manifests carry zeros (and no report).
   */
  skipped?: SkipCounts;
}

/**
 * `detail.skipped`: what the skip report of the manifest's batch lists.
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export interface SkipCounts {
  /** Objects skipped (0 when the batch wrote no skip report). */
  total: number;
  /** Skip reason (not-an-image, empty, too-large, not-found, superseded, duplicate-event, already-queued) -> objects. */
  byReason: Record<string, number>;
  /** s3:// URI of the skip report counted here, or null when none was (nothing skipped, or counted on another manifest of the batch). */
  report: string | null;
}

/**
 * `detail.actions`: the counts of the moderation actions (actions-report.json lists the failures).
 *
 * @jsii ignore TypeScript-only view of the event JSON; other languages read docs/event-schema.json.
 */
export interface ActionCounts {
  /** Images (analysed result lines) the policy was applied to. */
  imagesEvaluated: number;
  imagesFlagged: number;
  imagesQuarantined: number;
  /** Object versions whose tags this job wrote (not counting those already done). */
  tagged: number;
  /** Images that already carried this job's tags: nothing was changed. */
  alreadyDone: number;
  eventsPublished: number;
  /** Images tagged without moderation:labels, for lack of room among the object's 10 tags. */
  labelsTagDropped: number;
  /** Images whose actions failed (listed in the report). */
  failed: number;
  /**
   * Images whose moderated version (known from the manifest's image-versions file) is no longer
   * the current one: that version was actioned, the newer one was left unmoderated and untagged
   * (listed in the report under `versionNotCurrent`).
   */
  versionNotCurrent: number;
  /** s3:// URI of actions-report.json. */
  report: string;
}
