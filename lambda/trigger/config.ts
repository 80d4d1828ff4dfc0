import { TriggerEnvironment as Env, ManifestValidationEnvironment, TriggerEngineEnvironment, TriggerTrackingEnvironment } from '../../lib/trigger/trigger-contract';
import { InvalidJobRequestError, JobSettings, validateJobSettings } from '../common/job-request';

export interface TriggerConfig {
  readonly settings: JobSettings;
  /** Absent: unexpected failures keep being retried until the queue's own redrive policy moves them. */
  readonly deadLetterQueueUrl?: string;
  /** Receives after which an unexpected failure is forwarded to the dead-letter queue. */
  readonly unexpectedErrorAttempts: number;
  /** The job-tracking state machine; absent: jobs are started but not tracked. */
  readonly trackingStateMachineArn?: string;
  /** How manifests are moderated: bulk analysis (absent), image by image, or bulk with a per-image fallback. */
  readonly engine?: 'bulk' | 'per-image' | 'auto';
  /** The per-image workflow; required unless the engine is 'bulk'. */
  readonly perImageStateMachineArn?: string;
  /** VALIDATE_MANIFESTS: check each manifest before its job starts. Absent: true. */
  readonly validateManifests?: boolean;
  /** IMAGE_BUCKETS: the buckets manifest lines may name. Absent: not checked. */
  readonly imageBuckets?: readonly string[];
}

/** Thrown once per container when the function is deployed with unusable settings. */
export class TriggerConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Environment variable ${variable} ${problem}`);
    this.name = 'TriggerConfigError';
  }
}

const DEFAULT_UNEXPECTED_ERROR_ATTEMPTS = 5;
const JOB_NAME_PREFIX_PATTERN = /^[a-zA-Z0-9_.-]{0,40}$/;
// Leaves room for at least a few characters of the manifest key in each manifest's 800-byte prefix.
const MAX_OUTPUT_PREFIX_BYTES = 700;
const BUCKET_NAME_PATTERN = /^[0-9A-Za-z._-]{3,255}$/;

const VARIABLE_OF_FIELD: Record<string, string> = {
  'OutputConfig.S3Bucket': Env.OUTPUT_BUCKET,
  'KmsKeyId': Env.KMS_KEY_ID,
  'DetectModerationLabels.MinConfidence': Env.MIN_CONFIDENCE,
  'DetectModerationLabels.ProjectVersion': Env.PROJECT_VERSION,
};

export function loadConfig(env: NodeJS.ProcessEnv): TriggerConfig {
  const outputBucket = env[Env.OUTPUT_BUCKET];
  if (!outputBucket) {
    throw new TriggerConfigError(Env.OUTPUT_BUCKET, 'is required');
  }
  const kmsKeyId = optional(env[Env.KMS_KEY_ID]);
  const minConfidence = optional(env[Env.MIN_CONFIDENCE]);
  const projectVersion = optional(env[Env.PROJECT_VERSION]);
  const settings: JobSettings = {
    outputBucket,
    outputPrefix: outputPrefix(env[Env.OUTPUT_PREFIX] ?? ''),
    jobNamePrefix: jobNamePrefix(env[Env.JOB_NAME_PREFIX] ?? ''),
    ...(kmsKeyId !== undefined && { kmsKeyId }),
    ...(minConfidence !== undefined && { minConfidence: number(Env.MIN_CONFIDENCE, minConfidence) }),
    ...(projectVersion !== undefined && { projectVersion }),
  };
  try {
    validateJobSettings(settings);
  } catch (error) {
    if (error instanceof InvalidJobRequestError) {
      throw new TriggerConfigError(VARIABLE_OF_FIELD[error.field] ?? error.field, `is invalid: ${error.message}`);
    }
    throw error;
  }
  const deadLetterQueueUrl = optional(env[Env.DEAD_LETTER_QUEUE_URL]);
  const trackingStateMachineArn = optional(env[TriggerTrackingEnvironment.TRACKING_STATE_MACHINE_ARN]);
  if (trackingStateMachineArn !== undefined && !STATE_MACHINE_ARN.test(trackingStateMachineArn)) {
    throw new TriggerConfigError(TriggerTrackingEnvironment.TRACKING_STATE_MACHINE_ARN, `must be a state machine ARN (given ${JSON.stringify(trackingStateMachineArn)})`);
  }
  if (deadLetterQueueUrl !== undefined && !URL.canParse(deadLetterQueueUrl)) {
    throw new TriggerConfigError(Env.DEAD_LETTER_QUEUE_URL, `must be a queue URL (given ${JSON.stringify(deadLetterQueueUrl)})`);
  }
  const validateManifests = flag(ManifestValidationEnvironment.VALIDATE_MANIFESTS, env[ManifestValidationEnvironment.VALIDATE_MANIFESTS]);
  const imageBuckets = bucketList(ManifestValidationEnvironment.IMAGE_BUCKETS, env[ManifestValidationEnvironment.IMAGE_BUCKETS]);
  return {
    settings,
    ...(deadLetterQueueUrl !== undefined && { deadLetterQueueUrl }),
    unexpectedErrorAttempts: attempts(env[Env.UNEXPECTED_ERROR_ATTEMPTS]),
    ...(trackingStateMachineArn !== undefined && { trackingStateMachineArn }),
    ...(validateManifests !== undefined && { validateManifests }),
    ...(imageBuckets !== undefined && { imageBuckets }),
    ...engineSettings(env),
  };
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;

function engineSettings(env: NodeJS.ProcessEnv): Pick<TriggerConfig, 'engine' | 'perImageStateMachineArn'> {
  const given = optional(env[TriggerEngineEnvironment.ENGINE]);
  if (given === undefined) return {};
  const engine = given;
  if (engine !== 'bulk' && engine !== 'per-image' && engine !== 'auto') {
    throw new TriggerConfigError(TriggerEngineEnvironment.ENGINE, `must be 'bulk', 'per-image' or 'auto' (given ${JSON.stringify(engine)})`);
  }
  const perImageStateMachineArn = optional(env[TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN]);
  if (engine !== 'bulk' && (perImageStateMachineArn === undefined || !STATE_MACHINE_ARN.test(perImageStateMachineArn))) {
    throw new TriggerConfigError(TriggerEngineEnvironment.PER_IMAGE_STATE_MACHINE_ARN, `must be a state machine ARN with engine '${engine}' (given ${JSON.stringify(perImageStateMachineArn ?? '')})`);
  }
  return { engine, ...(perImageStateMachineArn !== undefined && { perImageStateMachineArn }) };
}

let cached: TriggerConfig | undefined;

/** The configuration, read from process.env on first use and kept for the container's life. */
export function triggerConfig(): TriggerConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** '' or ending in '/', so every manifest folder sits below it rather than beside it. */
function outputPrefix(value: string): string {
  if (!/^\S*$/.test(value) || Buffer.byteLength(value, 'utf8') > MAX_OUTPUT_PREFIX_BYTES) {
    throw new TriggerConfigError(Env.OUTPUT_PREFIX, `must be at most ${MAX_OUTPUT_PREFIX_BYTES} bytes without whitespace (given ${JSON.stringify(value)})`);
  }
  return value === '' || value.endsWith('/') ? value : `${value}/`;
}

function jobNamePrefix(value: string): string {
  if (!JOB_NAME_PREFIX_PATTERN.test(value)) {
    throw new TriggerConfigError(Env.JOB_NAME_PREFIX, `must be at most 40 characters of [a-zA-Z0-9_.-] (given ${JSON.stringify(value)})`);
  }
  return value;
}

function number(variable: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new TriggerConfigError(variable, `must be a number (given ${JSON.stringify(value)})`);
  }
  return parsed;
}

function flag(variable: string, value: string | undefined): boolean | undefined {
  if (optional(value) === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new TriggerConfigError(variable, `must be 'true' or 'false' (given ${JSON.stringify(value)})`);
  }
  return value === 'true';
}

/** Comma-separated bucket names (blanks around names and empty items ignored; none: unset). */
function bucketList(variable: string, value: string | undefined): string[] | undefined {
  if (optional(value) === undefined) return undefined;
  const names = value!.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const bad = names.find((name) => !BUCKET_NAME_PATTERN.test(name));
  if (bad !== undefined) {
    throw new TriggerConfigError(variable, `must be comma-separated bucket names (given ${JSON.stringify(bad)} in ${JSON.stringify(value)})`);
  }
  return names.length > 0 ? names : undefined;
}

function attempts(value: string | undefined): number {
  if (optional(value) === undefined) {
    return DEFAULT_UNEXPECTED_ERROR_ATTEMPTS;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new TriggerConfigError(Env.UNEXPECTED_ERROR_ATTEMPTS, `must be a whole number of at least 1 (given ${JSON.stringify(value)})`);
  }
  return parsed;
}
