/**
 * The contract between the job-tracking workflow (lib/tracking/job-tracking.ts) and the tracker
 * function (lambda/tracking): its environment, its input and output, the workflow's state names
 * and paths, and the log line the JobsFailed metric filter (lib/operations) matches. Imports
 * nothing from aws-cdk-lib: the tracker bundles it.
 */
import { EnvironmentReader, type Stringify, writeEnvironment } from '../common/contract/environment';
import type { CompletionEventDetail } from '../events/completion-event-contract';

/** The tracker's exported function (assets/tracking/index.mjs). */
export const TRACKER_HANDLER = 'handler';

/** What the tracking workflow's construct tells the tracker function. */
export const TrackerEnvironment = {
  /** Key that encrypts the flagged-images list the tracker writes. */
  KMS_KEY_ID: 'KMS_KEY_ID',
  /** Identifies the pipeline in every completion event (detail.pipeline), so rules can tell pipelines apart. */
  PIPELINE_ID: 'PIPELINE_ID',
  /** Seconds after an execution's start at which the tracker stops following a job that has not finished. */
  TRACKING_TIMEOUT_SECONDS: 'TRACKING_TIMEOUT_SECONDS',
  /** The pipeline's manifest prefix: below it, the skip reports of image ingestion and backfills (lib/common/contract/batch-files.ts). */
  MANIFEST_PREFIX: 'MANIFEST_PREFIX',
} as const;

export interface TrackerSettings {
  readonly kmsKeyId?: string;
  readonly pipelineId?: string;
  /** Absent: a job is followed for as long as the execution runs. */
  readonly trackingTimeoutSeconds?: number;
  /** Absent: no skip reports are looked for ('' is the whole bucket). */
  readonly manifestPrefix?: string;
}

export function trackerEnvironment(settings: TrackerSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({
    [TrackerEnvironment.KMS_KEY_ID]: settings.kmsKeyId,
    [TrackerEnvironment.PIPELINE_ID]: settings.pipelineId,
    [TrackerEnvironment.TRACKING_TIMEOUT_SECONDS]: settings.trackingTimeoutSeconds,
    [TrackerEnvironment.MANIFEST_PREFIX]: settings.manifestPrefix,
  }, stringify);
}

export function readTrackerSettings(env: Readonly<Record<string, string | undefined>>): TrackerSettings {
  const reader = new EnvironmentReader(env);
  return {
    kmsKeyId: reader.optionalString(TrackerEnvironment.KMS_KEY_ID),
    pipelineId: reader.optionalString(TrackerEnvironment.PIPELINE_ID),
    trackingTimeoutSeconds: reader.optionalNumber(TrackerEnvironment.TRACKING_TIMEOUT_SECONDS, { min: 1, integer: true }),
    // '' is a prefix (the whole bucket), not an absent one.
    manifestPrefix: env[TrackerEnvironment.MANIFEST_PREFIX] === undefined ? undefined : reader.string(TrackerEnvironment.MANIFEST_PREFIX, ''),
  };
}

/**
 * Time the workflow allows past the tracking timeout before it times out itself: the last poll
 * cycle, its retries (up to about 1.5 hours) and the publishing of the event. An execution that
 * still times out has failed (the TrackingFailed alarm), not merely outlived its job.
 */
export const TRACKING_GRACE_SECONDS = 3 * 3600;

/** The log line the tracker writes for every poll, and the JobsFailed metric filter reads. */
export const JOB_TRACKED_LOG = {
  MESSAGE: 'Job tracked',
  /** Field names of that line (top-level JSON keys). */
  FIELDS: {
    /** The pipeline id: the metric's Pipeline dimension. */
    PIPELINE: 'pipeline',
    /** true once the job has finished and the step carries the completion detail. */
    DONE: 'done',
    /** SUCCEEDED or FAILED once done. */
    STATUS: 'status',
  },
} as const;

/** State names of the tracking workflow. */
export const TrackingState = {
  /** Records when tracking began ($$.Execution.StartTime) at TrackingPath.CONTEXT. */
  START: 'StartTracking',
  CHECK: 'CheckJob',
  FINISHED: 'Finished?',
  WAIT: 'WaitForJob',
} as const;

/** The tracking workflow's state: the execution input plus what its states add. */
export interface TrackingWorkflowState extends TrackingInput {
  step?: TrackingStep;
}

// Field names checked against the types, so a renamed field breaks the build, not the workflow.
const CONTEXT_FIELD = 'tracking' satisfies keyof TrackingWorkflowState;
const STEP_FIELD = 'step' satisfies keyof TrackingWorkflowState;
const DONE_FIELD = 'done' satisfies keyof TrackingStep;
const DETAIL_FIELD = 'detail' satisfies keyof TrackingStep;

/** JSON paths of the tracking workflow's state (a TrackingWorkflowState). */
export const TrackingPath = {
  /** Where StartTracking puts the TrackingContext. */
  CONTEXT: `$.${CONTEXT_FIELD}`,
  /** Where CheckJob puts the tracker's TrackingStep. */
  STEP: `$.${STEP_FIELD}`,
  /** TrackingStep.done. */
  DONE: `$.${STEP_FIELD}.${DONE_FIELD}`,
  /** TrackingStep.detail: the completion event's detail, published once done. */
  DETAIL: `$.${STEP_FIELD}.${DETAIL_FIELD}`,
  /** The execution's start time, from the context object. */
  EXECUTION_START_TIME: '$$.Execution.StartTime',
} as const;

/** What StartTracking records (at TrackingPath.CONTEXT) for the tracker's deadline. */
export interface TrackingContext {
  /** ISO 8601 start time of the execution. */
  startedAt: string;
}

/** The state machine's execution input, passed to the tracker with the workflow's own fields beside it. */
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
  /** Set by the tracking workflow (TrackingPath.CONTEXT); absent in other workflows. */
  tracking?: TrackingContext;
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

/** What the tracker answers on each poll (at TrackingPath.STEP); `detail` is set once `done`. */
export interface TrackingStep {
  done: boolean;
  /** Rekognition's job status while polling; SUCCEEDED or FAILED once done. */
  status: string;
  detail?: CompletionEventDetail;
}
