/**
 * Error names shared by the handlers' classifiers (lambda/common/errors.ts) and the workflows'
 * Retry.errors lists, so what a handler calls transient is what Step Functions retries.
 * Names are strings, never class names: bundles are minified.
 */

/** Every concurrent job slot is busy: a slot may take an hour to free. */
export const CAPACITY_ERRORS = ['LimitExceededException'] as const;

/** Over a request-rate quota (SlowDown: S3's). */
export const THROTTLING_ERRORS = ['ThrottlingException', 'ProvisionedThroughputExceededException', 'SlowDown'] as const;

/** Service hiccups worth waiting out (InternalError: S3's 500). */
export const TRANSIENT_SERVICE_ERRORS = [
  'InternalServerError',
  'InternalError',
  'ResourceNotReadyException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
] as const;

/** Node's system errors for a connection that failed or was cut off. */
export const TRANSIENT_NETWORK_ERRORS = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
] as const;

/** AWS errors that no retry can cure. */
export const PERMANENT_SERVICE_ERRORS = [
  'InvalidManifestException',
  'InvalidS3ObjectException',
  'InvalidParameterException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'IdempotentParameterMismatchException',
] as const;

/** Lambda's own failures to run a task, as Step Functions names them. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
] as const;

/**
 * The names the handlers' own errors carry (lambda/common/errors.ts HandlerError). Permanent
 * ones are recorded as a failure; transient ones are retried.
 */
export const HandlerErrorName = {
  /** The function was deployed with unusable settings. */
  CONFIG: 'ConfigError',
  /** A job request the API would refuse (bad token, prefix, name). */
  INVALID_JOB_REQUEST: 'InvalidJobRequest',
  /** Manifest pre-validation found the manifest unrunnable. */
  MANIFEST_VALIDATION_FAILED: 'ManifestValidationFailed',
  /** The manifest was deleted before its job could start. */
  MANIFEST_NOT_FOUND: 'ManifestNotFound',
  /** The manifest cannot be read with the pipeline's permissions. */
  MANIFEST_ACCESS_DENIED: 'ManifestAccessDenied',
  /** A results or summary file is not in the documented format. */
  MALFORMED_OUTPUT: 'MalformedOutputError',
  /** A file the workflow wrote itself is unreadable. */
  MALFORMED_FILE: 'MalformedFileError',
  /** A workflow or custom resource passed input the handler cannot use. */
  INVALID_INPUT: 'InvalidInputError',
  /** A read of an S3 object was cut off mid-stream: worth retrying. */
  READ_INTERRUPTED: 'ReadInterruptedError',
  /** The job or per-image run of a ModerationJob failed, or could not be started or read. */
  MODERATION_JOB_FAILED: 'ModerationJobFailed',
} as const;
export type HandlerErrorName = typeof HandlerErrorName[keyof typeof HandlerErrorName];

/** The handler errors that no retry can cure. */
export const PERMANENT_HANDLER_ERRORS: readonly HandlerErrorName[] = [
  HandlerErrorName.CONFIG,
  HandlerErrorName.INVALID_JOB_REQUEST,
  HandlerErrorName.MANIFEST_VALIDATION_FAILED,
  HandlerErrorName.MANIFEST_NOT_FOUND,
  HandlerErrorName.MANIFEST_ACCESS_DENIED,
  HandlerErrorName.MALFORMED_OUTPUT,
  HandlerErrorName.MALFORMED_FILE,
  HandlerErrorName.INVALID_INPUT,
  HandlerErrorName.MODERATION_JOB_FAILED,
];

/** The handler errors worth retrying. */
export const TRANSIENT_HANDLER_ERRORS: readonly HandlerErrorName[] = [HandlerErrorName.READ_INTERRUPTED];

/**
 * Retry.errors for a workflow's Lambda task that reads S3 or calls Rekognition: throttling,
 * service hiccups, Lambda's own failures, and the handlers' transient errors.
 */
export const WORKFLOW_RETRYABLE_ERRORS: readonly string[] = [
  ...THROTTLING_ERRORS,
  ...TRANSIENT_SERVICE_ERRORS,
  ...LAMBDA_SERVICE_ERRORS,
  ...TRANSIENT_HANDLER_ERRORS,
];
