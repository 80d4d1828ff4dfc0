import { classifyError, errorCode } from '../../common/errors';

/**
 * What a DetectModerationLabels error means for one image:
 * - refused: the image itself can never be analysed (not JPEG/PNG, too large, missing, not
 *   readable...): a line error, as bulk analysis records it;
 * - throttled: over the account's TPS quota: retried with backoff, never recorded as a failure
 *   while time remains;
 * - transient: a service or network hiccup: retried a few times;
 * - unexpected: anything else: left for the next round, recorded if it persists.
 */
export type DetectErrorKind = 'refused' | 'throttled' | 'transient' | 'unexpected';

const REFUSED = new Set([
  'InvalidImageFormatException',
  'ImageTooLargeException',
  'InvalidS3ObjectException',
  'AccessDeniedException',
  'InvalidParameterException',
  'ResourceNotFoundException',
]);
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException']);
const TRANSIENT = new Set(['InternalServerError', 'ResourceNotReadyException', 'ServiceUnavailableException', 'ServiceUnavailable']);

/** Codes as bulk analysis spells its failure codes (UPPER_SNAKE, no "Exception"). */
const CODE_OF: Record<string, string> = {
  ThrottlingException: 'THROTTLED',
  ProvisionedThroughputExceededException: 'THROTTLED',
  LimitExceededException: 'THROTTLED',
  InternalServerError: 'INTERNAL_ERROR',
};

export interface DetectError {
  kind: DetectErrorKind;
  /** The summary's code for this error. */
  code: string;
  message: string;
}

export function classifyDetectError(error: unknown): DetectError {
  const name = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return { kind: kindOf(name, error), code: summaryCode(name), message };
}

function kindOf(name: string, error: unknown): DetectErrorKind {
  if (REFUSED.has(name)) return 'refused';
  if (THROTTLED.has(name)) return 'throttled';
  if (TRANSIENT.has(name)) return 'transient';
  const general = classifyError(error);
  if (general === 'throttled') return 'throttled';
  if (general === 'transient') return 'transient';
  return 'unexpected';
}

/** 'InvalidImageFormatException' -> 'INVALID_IMAGE_FORMAT'; 'ECONNRESET' stays. */
export function summaryCode(name: string): string {
  const known = CODE_OF[name];
  if (known) return known;
  if (/^[A-Z0-9_]+$/.test(name)) return name;
  return name
    .replace(/Exception$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}
