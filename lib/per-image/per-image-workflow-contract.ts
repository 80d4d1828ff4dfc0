import type { S3Location } from '../common/contract/s3-location';

/**
 * The JSON the per-image workflow (per-image-workflow.ts) passes between its states and its
 * handlers (lambda/per-image/{prepare,batch,finalize}): the handlers' input and output types, the
 * state names, and the JSON paths, tied to those types so that a renamed field fails to compile
 * on both sides.
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
  manifest: S3Location;
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
  /** ItemBatcher's MaxItemsPerBatch for the round (see lambda/per-image/per-image-batching.ts). */
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

/** The Distributed Map's output: {MapRunArn, ResultWriterDetails: {Bucket, Key}}. */
export interface MapRunOutput {
  MapRunArn?: string;
  ResultWriterDetails?: { Bucket: string; Key: string };
}

/** Finalize's input. */
export interface FinalizeInput {
  token: string;
  output: OutputLocation;
  prepared: PreparedManifest;
  work: WorkRound;
  mapRun: MapRunOutput;
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

/**
 * The state of one execution: the execution input (the trigger's tracking input: token, manifest,
 * output, ...) and what the states add to it.
 */
export interface PerImageExecutionState {
  token: string;
  manifest: S3Location;
  output: OutputLocation;
  /** Prepare's answer. */
  prepared: PrepareOutput;
  /** The round the Distributed Map runs next. */
  work: WorkRound;
  /** The Distributed Map's answer for the last round. */
  map: MapRunOutput;
  /** Finalize's answer. */
  collect: FinalizeOutput;
  /** The finished run, as the tracker reads it. */
  jobDescription: JobDescription;
  /** A caught error ({Error, Cause}). */
  error: { Error: string; Cause: string };
  /** The tracker's answer. */
  step: unknown;
}

/** Names of the workflow's states (also their construct IDs: they must not change). */
export const PerImageState = {
  PREPARE: 'Prepare',
  MANIFEST_ACCEPTED: 'ManifestAccepted?',
  FIRST_ROUND: 'FirstRound',
  ANALYSE_IMAGES: 'AnalyseImages',
  ANALYSE_BATCH: 'AnalyseBatch',
  FINALIZE: 'Finalize',
  ALL_LINES_DONE: 'AllLinesDone?',
  NEXT_ROUND: 'NextRound',
  BEFORE_NEXT_ROUND: 'BeforeNextRound',
  USE_REJECTION: 'UseRejection',
  USE_JOB_DESCRIPTION: 'UseJobDescription',
  DESCRIBE_FAILURE: 'DescribeFailure',
  TRACK_COMPLETION: 'TrackCompletion',
} as const;

/** The Distributed Map's Label (part of its Map Runs' ARNs). */
export const MAP_LABEL = 'Images';

type State = PerImageExecutionState;
const at = <K extends keyof State & string>(key: K) => `$.${key}` as const;
const field = <T>(key: keyof T & string) => key;

/** JSON paths into the execution's state. */
export const PerImagePath = {
  TOKEN: at('token'),
  MANIFEST: at('manifest'),
  OUTPUT: at('output'),
  PREPARED: at('prepared'),
  WORK: at('work'),
  MAP_RUN: at('map'),
  COLLECT: at('collect'),
  JOB_DESCRIPTION: at('jobDescription'),
  ERROR: at('error'),
  STEP: at('step'),
  PREPARED_ACCEPTED: `${at('prepared')}.${field<PrepareOutput>('accepted')}`,
  PREPARED_WORK: `${at('prepared')}.${field<PreparedManifest>('work')}`,
  PREPARED_MAP_RESULTS_PREFIX: `${at('prepared')}.${field<PreparedManifest>('mapResultsPrefix')}`,
  REJECTION: `${at('prepared')}.${field<RejectedManifest>('jobDescription')}`,
  COLLECT_DONE: `${at('collect')}.${field<FinalizeOutput>('done')}`,
  COLLECT_WORK: `${at('collect')}.${field<FinalizeOutput & { done: false }>('work')}`,
  COLLECT_JOB_DESCRIPTION: `${at('collect')}.${field<FinalizeOutput & { done: true }>('jobDescription')}`,
  WORK_ITEMS_KEY: `${at('work')}.${field<WorkRound>('items')}.${field<S3Location>('key')}`,
  WORK_ITEMS_PER_BATCH: `${at('work')}.${field<WorkRound>('itemsPerBatch')}`,
  WORK_ROUND: `${at('work')}.${field<WorkRound>('round')}`,
  WORK_WAIT_SECONDS: `${at('work')}.${field<WorkRound>('waitSeconds')}`,
} as const;

/** Context paths Step Functions fills in. */
const EXECUTION_START_TIME = '$$.Execution.StartTime';
const EXECUTION_ID = '$$.Execution.Id';

/** A task's Parameters that fill every field of its input `T` from a JSON path ('field.$': path). */
export function taskParameters<T>(paths: { readonly [K in keyof T]-?: string }): Record<string, string> {
  return Object.fromEntries(Object.entries<string>(paths).map(([name, path]) => [`${name}.$`, path]));
}

/** Prepare's Parameters. */
export const PREPARE_PARAMETERS = taskParameters<PrepareInput>({
  token: PerImagePath.TOKEN,
  manifest: PerImagePath.MANIFEST,
  output: PerImagePath.OUTPUT,
  startedAt: EXECUTION_START_TIME,
  executionArn: EXECUTION_ID,
});

/** Finalize's Parameters. */
export const FINALIZE_PARAMETERS = taskParameters<FinalizeInput>({
  token: PerImagePath.TOKEN,
  output: PerImagePath.OUTPUT,
  prepared: PerImagePath.PREPARED,
  work: PerImagePath.WORK,
  mapRun: PerImagePath.MAP_RUN,
  startedAt: EXECUTION_START_TIME,
  executionArn: EXECUTION_ID,
});

/** ItemBatcher's BatchInput: paths on the Map's input. */
export const BATCH_INPUT_PARAMETERS = taskParameters<BatchInput>({
  output: PerImagePath.OUTPUT,
  round: PerImagePath.WORK_ROUND,
});

/** DescribeFailure's Parameters: the caught error as a FAILED JobDescription. */
export const DESCRIBE_FAILURE_PARAMETERS = {
  'JobId.$': EXECUTION_ID,
  'Status': 'FAILED',
  'FailureDetails': { 'Code.$': `${PerImagePath.ERROR}.Error`, 'Message.$': `${PerImagePath.ERROR}.Cause` },
  'CreationTimestamp.$': EXECUTION_START_TIME,
  'CompletionTimestamp.$': '$$.State.EnteredTime',
} as const;
