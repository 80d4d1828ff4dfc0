import { type S3Location } from '../../lib/common/contract/s3-location';
/**
 * Contracts between the per-image workflow (lib/private/per-image-workflow.ts) and its handlers:
 * per-image-prepare, per-image-batch and per-image-finalize. JSON in, JSON out.
 */

/** One valid manifest line, as written to items.jsonl and read by the Distributed Map. */
export interface ImageItem {
  /** 1-based line number in the manifest. */
  line: number;
  bucket: string;
  key: string;
  /** The line's `source-ref`, exactly as written in the manifest. */
  sourceRef: string;
}

/** One invalid manifest line, as written to invalid-lines.jsonl. */
export interface InvalidLine {
  line: number;
  /** The line's `source-ref` when it had a readable one. */
  sourceRef?: string;
  code: string;
  message: string;
}

/** What every handler is told about where the manifest's outputs go. */
export interface OutputLocation {
  bucket: string;
  /** The per-manifest prefix (no trailing '/'). */
  prefix: string;
}

/** Prepare's input. */
export interface PrepareInput {
  token: string;
  manifest: { bucket: string; key: string; version?: string };
  output: OutputLocation;
  /** $$.Execution.StartTime */
  startedAt: string;
  /** $$.Execution.Id */
  executionArn: string;
}

/** The first round of the Distributed Map, and every later one (lines still to do). */
export interface WorkRound {
  /** 1 for the manifest's valid lines, 2.. for lines retried after throttling or lost batches. */
  round: number;
  /** The JSON Lines file of ImageItem the round's Map reads. */
  items: S3Location;
  /** ResultWriterDetails (manifest.json) of every earlier round, oldest first. */
  mapResults: S3Location[];
  /** Seconds to wait before the round starts. */
  waitSeconds: number;
  /** ItemBatcher's MaxItemsPerBatch for the round (see per-image-batching.ts). */
  itemsPerBatch: number;
}

/** Prepare's output when the manifest can be processed. */
export interface PreparedManifest {
  accepted: true;
  totalLines: number;
  validLines: number;
  invalidLines: number;
  items: S3Location;
  invalid: S3Location;
  /** Where the Distributed Map's ResultWriter writes (a prefix in the output bucket). */
  mapResultsPrefix: string;
  work: WorkRound;
}

/** Prepare's output when the manifest cannot be processed at all (bulk analysis: INVALID_MANIFEST). */
export interface RejectedManifest {
  accepted: false;
  jobDescription: JobDescription;
}

export type PrepareOutput = PreparedManifest | RejectedManifest;

/** ItemBatcher's BatchInput: the same for every batch of a round. */
export interface BatchInput {
  output: OutputLocation;
  round: number;
}

/** What the batch Lambda receives from the Distributed Map's ItemBatcher. */
export interface BatchEvent {
  Items: ImageItem[];
  BatchInput: BatchInput;
}

/** detect-moderation-labels of one output line: DetectModerationLabels' answer, as bulk analysis writes it. */
export interface ModerationResult {
  ModerationLabels: unknown[];
  ModerationModelVersion?: string;
  ContentTypes?: unknown[];
}

/**
 * The outcome of one line:
 * - labels: analysed;
 * - error: Rekognition refused the image (final: recorded in the summary);
 * - retry: not analysed yet (throttled past the batch's deadline, or a transient error): a later
 *   round tries again, and the last round records it as an error.
 */
export type LineResult =
  | { line: number; labels: ModerationResult }
  | { line: number; error: LineError }
  | { line: number; retry: LineError };

export interface LineError {
  code: string;
  message: string;
}

/** The batch Lambda's answer: the results inline, or in an object when they would not fit the 256 KiB state limit. */
export type BatchOutput =
  | { results: LineResult[] }
  | { spilled: S3Location; count: number };

/** Finalize's input. */
export interface FinalizeInput {
  token: string;
  output: OutputLocation;
  prepared: PreparedManifest;
  work: WorkRound;
  /** The Distributed Map's output: {MapRunArn, ResultWriterDetails: {Bucket, Key}}. */
  mapRun: { MapRunArn?: string; ResultWriterDetails?: { Bucket: string; Key: string } };
  startedAt: string;
  executionArn: string;
}

/** Finalize's answer: another round for lines not done yet, or the finished job. */
export type FinalizeOutput =
  | { done: false; work: WorkRound; pendingLines: number }
  | { done: true; jobDescription: JobDescription };

/**
 * A finished job in the shape of GetMediaAnalysisJob's response (the fields the tracker reads),
 * so the job tracker builds the completion event of both engines from the same data.
 */
export interface JobDescription {
  JobId?: string;
  Status: 'SUCCEEDED' | 'FAILED';
  FailureDetails?: { Code: string; Message: string };
  CreationTimestamp: string;
  CompletionTimestamp: string;
  Results?: { S3Object: { Bucket: string; Name: string } };
  ManifestSummary?: { S3Object: { Bucket: string; Name: string } };
}
