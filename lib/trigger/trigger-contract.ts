/**
 * Names of the environment variables the constructs set and the handlers read.
 * Shared by both sides so a rename cannot drift.
 */
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
  /** 'bulk' | 'per-image' | 'auto': how the trigger moderates a manifest. */
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

/** Values of the trigger's ENGINE variable: how it moderates a manifest. */
export const TriggerEngine = {
  BULK: 'bulk',
  PER_IMAGE: 'per-image',
  AUTO: 'auto',
} as const;
export type TriggerEngine = typeof TriggerEngine[keyof typeof TriggerEngine];
