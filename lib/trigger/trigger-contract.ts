import { ConfigError, EnvironmentReader, numberProblem, writeEnvironment, type NumberRange, type Stringify } from '../common/contract/environment';
import { BacklogEnvironment } from './backlog-contract';

/**
 * The contract between the manifest trigger (lib/trigger, lib/pipeline: writes) and its handler
 * (lambda/trigger: reads): variable names, settings, defaults and limits. No aws-cdk-lib here:
 * the handler bundles this file.
 */

/** The export of the trigger bundle's index that Lambda calls. */
export const TRIGGER_HANDLER = 'handler';

/** Names of the environment variables the construct sets and the handler reads. */
export const TriggerEnvironment = {
  /** Bucket that receives results and error reports. */
  OUTPUT_BUCKET: 'OUTPUT_BUCKET',
  /** Key prefix under which every manifest gets its own folder ('' for the bucket root). */
  OUTPUT_PREFIX: 'OUTPUT_PREFIX',
  /** ARN of the customer-managed key passed to Rekognition as KmsKeyId. */
  KMS_KEY_ID: 'KMS_KEY_ID',
  /** MinConfidence (0-100); absent means Rekognition's default. */
  MIN_CONFIDENCE: 'MIN_CONFIDENCE',
  /** Adapter (project version) ARN; absent means the base model. */
  PROJECT_VERSION: 'PROJECT_VERSION',
  /** Prefix of every JobName. */
  JOB_NAME_PREFIX: 'JOB_NAME_PREFIX',
  /** URL of the dead-letter queue that unexpected failures are forwarded to, with their reason. */
  DEAD_LETTER_QUEUE_URL: 'DEAD_LETTER_QUEUE_URL',
  /** How many receives an unexpected failure gets before it is forwarded to the dead-letter queue. */
  UNEXPECTED_ERROR_ATTEMPTS: 'UNEXPECTED_ERROR_ATTEMPTS',
} as const;

export const TriggerTrackingEnvironment = {
  /** ARN of the job-tracking state machine the trigger starts one execution in per manifest. */
  TRACKING_STATE_MACHINE_ARN: 'TRACKING_STATE_MACHINE_ARN',
} as const;

export const TriggerEngineEnvironment = {
  /** A TriggerEngine value: how the trigger moderates a manifest. */
  ENGINE: 'ENGINE',
  /** ARN of the per-image workflow (engine 'per-image' or 'auto'). */
  PER_IMAGE_STATE_MACHINE_ARN: 'PER_IMAGE_STATE_MACHINE_ARN',
} as const;

export const ManifestValidationEnvironment = {
  /** 'true' | 'false': check each manifest before starting a job for it. */
  VALIDATE_MANIFESTS: 'VALIDATE_MANIFESTS',
  /** Comma-separated bucket names that manifests may reference images in. */
  IMAGE_BUCKETS: 'IMAGE_BUCKETS',
} as const;

/**
 * The ENGINE variable's values. Internal to the contract: the public ModerationEngineKind enum is
 * mapped onto these by the construct, so renaming one never changes the other.
 */
export const TriggerEngine = {
  /** One StartMediaAnalysisJob per manifest. */
  BULK: 'bulk',
  /** A run of the per-image workflow per manifest. */
  PER_IMAGE: 'per-image',
  /** Bulk analysis, per image when the account is refused it. */
  AUTO: 'auto',
} as const;
export type TriggerEngine = typeof TriggerEngine[keyof typeof TriggerEngine];

// Defaults: the construct's prop defaults, also used by the handler when a variable is absent.
export const DEFAULT_OUTPUT_PREFIX = 'results/';
export const DEFAULT_JOB_NAME_PREFIX = 'moderation-';
/** Receives an unexpected failure gets before it is forwarded to the dead-letter queue. */
export const DEFAULT_UNEXPECTED_ERROR_ATTEMPTS = 5;

// Limits.
/**
 * Rekognition's S3KeyPrefix holds at most 800 UTF-8 bytes; the output prefix may take 700 of them,
 * leaving room for at least a few characters of the manifest key in each manifest's folder.
 */
export const MAX_OUTPUT_PREFIX_BYTES = 700;
/** A JobName holds 64 characters; the rest is the manifest's file name and a token suffix. */
export const MAX_JOB_NAME_PREFIX_LENGTH = 40;
/** JobName's characters (StartMediaAnalysisJob). */
export const JOB_NAME_PREFIX_PATTERN = /^[a-zA-Z0-9_.-]{0,40}$/;
const JOB_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;
const BUCKET_NAME_PATTERN = /^[0-9A-Za-z._-]{3,255}$/;
const KMS_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}$/;
const STATE_MACHINE_ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;
export const MIN_CONFIDENCE_RANGE: NumberRange = { min: 0, max: 100 };
const UNEXPECTED_ERROR_ATTEMPTS_RANGE: NumberRange = { min: 1, integer: true };

// Checks: each returns what is wrong with a value, or undefined. The construct calls them at synth
// (skipping tokens) and the handlers when they read their settings, so both judge alike.

/** An S3 key prefix that ordinary keys can start with: no leading '/' and no '//'. */
export function keyPrefixProblem(value: string): string | undefined {
  if (value.startsWith('/')) return "must not start with '/' (S3 keys rarely do, so nothing would match)";
  if (value.includes('//')) return "must not contain '//' (S3 keys rarely do, so nothing would match)";
  return undefined;
}

/**
 * The output prefix: no whitespace (S3KeyPrefix matches \S*), at most 700 bytes in UTF-8 once
 * the handler has added its trailing '/', and a usable key prefix.
 */
export function outputPrefixProblem(value: string): string | undefined {
  if (!/^\S*$/.test(value)) return 'must not contain whitespace (Rekognition S3KeyPrefix matches \\S*)';
  const bytes = utf8Length(withSlash(value));
  if (bytes > MAX_OUTPUT_PREFIX_BYTES) return `must be at most ${MAX_OUTPUT_PREFIX_BYTES} bytes in UTF-8 (is ${bytes} bytes)`;
  return keyPrefixProblem(value);
}

export function jobNamePrefixProblem(value: string): string | undefined {
  return JOB_NAME_PREFIX_PATTERN.test(value) ? undefined : `must be at most ${MAX_JOB_NAME_PREFIX_LENGTH} characters of letters, digits, '_', '.' and '-'`;
}

export function jobNameProblem(value: string): string | undefined {
  return JOB_NAME_PATTERN.test(value) ? undefined : "must be 1 to 64 characters of letters, digits, '_', '.' and '-'";
}

export function bucketNameProblem(value: string): string | undefined {
  return BUCKET_NAME_PATTERN.test(value) ? undefined : 'must be a bucket name: 3-255 characters of [0-9A-Za-z._-]';
}

export function kmsKeyIdProblem(value: string): string | undefined {
  return KMS_KEY_PATTERN.test(value) ? undefined : 'must be a key id, alias or ARN matching ^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}$';
}

export function minConfidenceProblem(value: number): string | undefined {
  return numberProblem(value, MIN_CONFIDENCE_RANGE);
}

export function projectVersionProblem(value: string): string | undefined {
  return value.length >= 20 && value.length <= 2048 ? undefined : 'must be an adapter ARN of 20-2048 characters';
}

export function stateMachineArnProblem(value: string): string | undefined {
  return STATE_MACHINE_ARN_PATTERN.test(value) ? undefined : 'must be a state machine ARN';
}

function queueUrlProblem(value: string): string | undefined {
  return URL.canParse(value) ? undefined : 'must be a queue URL';
}

/** Settings shared by every job the trigger (or a ModerationJob) starts. */
export interface JobSettings {
  readonly outputBucket: string;
  /** '' or a prefix ending in '/'; each manifest gets its own folder below it. */
  readonly outputPrefix: string;
  readonly kmsKeyId?: string;
  readonly minConfidence?: number;
  /** Adapter (project version) ARN. */
  readonly projectVersion?: string;
  readonly jobNamePrefix: string;
}

/** Everything the trigger handler is configured with. */
export interface TriggerSettings {
  readonly settings: JobSettings;
  /** Absent: unexpected failures keep being retried until the queue's own redrive policy moves them. */
  readonly deadLetterQueueUrl?: string;
  /** Receives after which an unexpected failure is forwarded to the dead-letter queue. */
  readonly unexpectedErrorAttempts: number;
  /** The job-tracking state machine; absent: jobs are started but not tracked. */
  readonly trackingStateMachineArn?: string;
  /** How manifests are moderated. */
  readonly engine: TriggerEngine;
  /** The per-image workflow; required unless the engine is bulk. */
  readonly perImageStateMachineArn?: string;
  /** Check each manifest before its job starts. */
  readonly validateManifests: boolean;
  /** The buckets manifest lines may name; absent: not checked. */
  readonly imageBuckets?: readonly string[];
  /**
   * The queue where manifests wait for a free job slot; absent: a manifest refused for capacity
   * is retried on the manifest queue with a growing delay.
   */
  readonly backlogQueueUrl?: string;
  /** The manifest queue, where a backlog manifest that fails unexpectedly is sent back. */
  readonly manifestQueueUrl?: string;
}

/** The trigger function's environment; `stringify` keeps the construct's number tokens tokens. */
export function triggerEnvironment(settings: TriggerSettings, stringify?: Stringify): Record<string, string> {
  const job = settings.settings;
  return writeEnvironment({
    [TriggerEnvironment.OUTPUT_BUCKET]: job.outputBucket,
    [TriggerEnvironment.OUTPUT_PREFIX]: job.outputPrefix,
    [TriggerEnvironment.KMS_KEY_ID]: job.kmsKeyId,
    [TriggerEnvironment.JOB_NAME_PREFIX]: job.jobNamePrefix,
    [TriggerEnvironment.MIN_CONFIDENCE]: job.minConfidence,
    [TriggerEnvironment.PROJECT_VERSION]: job.projectVersion,
    [TriggerEnvironment.DEAD_LETTER_QUEUE_URL]: settings.deadLetterQueueUrl,
    [TriggerEnvironment.UNEXPECTED_ERROR_ATTEMPTS]: settings.unexpectedErrorAttempts,
    [TriggerTrackingEnvironment.TRACKING_STATE_MACHINE_ARN]: settings.trackingStateMachineArn,
    [TriggerEngineEnvironment.ENGINE]: settings.engine,
    [TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN]: settings.perImageStateMachineArn,
    [ManifestValidationEnvironment.VALIDATE_MANIFESTS]: settings.validateManifests,
    [ManifestValidationEnvironment.IMAGE_BUCKETS]: settings.imageBuckets,
    [BacklogEnvironment.BACKLOG_QUEUE_URL]: settings.backlogQueueUrl,
    [BacklogEnvironment.MANIFEST_QUEUE_URL]: settings.manifestQueueUrl,
  }, stringify);
}

/** Reads the trigger's settings back; a ConfigError names the first unusable variable and its value. */
export function readTriggerSettings(env: Readonly<Record<string, string | undefined>>): TriggerSettings {
  const reader = new EnvironmentReader(env);
  const settings: JobSettings = withoutUndefined({
    outputBucket: reader.requiredString(TriggerEnvironment.OUTPUT_BUCKET, bucketNameProblem),
    outputPrefix: withSlash(reader.string(TriggerEnvironment.OUTPUT_PREFIX, DEFAULT_OUTPUT_PREFIX, outputPrefixProblem)),
    jobNamePrefix: reader.string(TriggerEnvironment.JOB_NAME_PREFIX, DEFAULT_JOB_NAME_PREFIX, jobNamePrefixProblem),
    kmsKeyId: reader.optionalString(TriggerEnvironment.KMS_KEY_ID, kmsKeyIdProblem),
    minConfidence: reader.optionalNumber(TriggerEnvironment.MIN_CONFIDENCE, MIN_CONFIDENCE_RANGE),
    projectVersion: reader.optionalString(TriggerEnvironment.PROJECT_VERSION, projectVersionProblem),
  });
  const engine = reader.oneOf(TriggerEngineEnvironment.ENGINE, Object.values(TriggerEngine), TriggerEngine.BULK);
  const perImageStateMachineArn = reader.optionalString(TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN, stateMachineArnProblem);
  if (engine !== TriggerEngine.BULK && perImageStateMachineArn === undefined) {
    throw new ConfigError(TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN, `is required with engine '${engine}'`);
  }
  return withoutUndefined({
    settings,
    deadLetterQueueUrl: reader.optionalString(TriggerEnvironment.DEAD_LETTER_QUEUE_URL, queueUrlProblem),
    unexpectedErrorAttempts: reader.number(TriggerEnvironment.UNEXPECTED_ERROR_ATTEMPTS, DEFAULT_UNEXPECTED_ERROR_ATTEMPTS, UNEXPECTED_ERROR_ATTEMPTS_RANGE),
    trackingStateMachineArn: reader.optionalString(TriggerTrackingEnvironment.TRACKING_STATE_MACHINE_ARN, stateMachineArnProblem),
    engine,
    perImageStateMachineArn,
    validateManifests: reader.boolean(ManifestValidationEnvironment.VALIDATE_MANIFESTS, true),
    imageBuckets: reader.optionalList(ManifestValidationEnvironment.IMAGE_BUCKETS, bucketNameProblem),
    backlogQueueUrl: reader.optionalString(BacklogEnvironment.BACKLOG_QUEUE_URL, queueUrlProblem),
    manifestQueueUrl: reader.optionalString(BacklogEnvironment.MANIFEST_QUEUE_URL, queueUrlProblem),
  });
}

/** '' or ending in '/', so every manifest folder sits below the prefix rather than beside it. */
export function withSlash(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

/** The settings without their absent members, so they compare equal to ones written without them. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
