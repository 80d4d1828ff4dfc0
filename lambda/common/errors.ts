import {
  CAPACITY_ERRORS,
  type HandlerErrorName,
  PERMANENT_HANDLER_ERRORS,
  PERMANENT_SERVICE_ERRORS,
  THROTTLING_ERRORS,
  TRANSIENT_HANDLER_ERRORS,
  TRANSIENT_NETWORK_ERRORS,
  TRANSIENT_SERVICE_ERRORS,
} from '../../lib/common/contract/error-names';

/**
 * - capacity: every concurrent job slot is busy; a slot may take an hour to free.
 * - throttled: over the request-rate quota.
 * - transient: a service or network hiccup.
 * - permanent: the request can never succeed as it is.
 * - unexpected: anything else.
 */
export type ErrorClass = 'capacity' | 'throttled' | 'transient' | 'permanent' | 'unexpected';

const CAPACITY = new Set<string>(CAPACITY_ERRORS);
const THROTTLED = new Set<string>(THROTTLING_ERRORS);
const PERMANENT = new Set<string>([...PERMANENT_SERVICE_ERRORS, ...PERMANENT_HANDLER_ERRORS]);
const TRANSIENT = new Set<string>([...TRANSIENT_SERVICE_ERRORS, ...TRANSIENT_NETWORK_ERRORS, ...TRANSIENT_HANDLER_ERRORS]);

/**
 * The base of every error a handler throws on purpose. Its name is stable (bundles are
 * minified, so class names are not) and listed in lib/common/contract/error-names.ts, where the
 * classifier below and the workflows' Retry.errors read it.
 */
export class HandlerError extends Error {
  constructor(name: HandlerErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** Whether waiting and trying again can cure the error. */
export function isRetryable(error: unknown): boolean {
  const errorClass = classifyError(error);
  return errorClass === 'capacity' || errorClass === 'throttled' || errorClass === 'transient';
}

interface Schedule {
  readonly baseSeconds: number;
  readonly capSeconds: number;
}

const SCHEDULES: Partial<Record<ErrorClass, Schedule>> = {
  capacity: { baseSeconds: 300, capSeconds: 3600 },
  throttled: { baseSeconds: 10, capSeconds: 900 },
  transient: { baseSeconds: 30, capSeconds: 900 },
};

/** SQS refuses a visibility timeout above 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function classifyError(error: unknown): ErrorClass {
  const code = errorCode(error);
  if (CAPACITY.has(code)) return 'capacity';
  if (THROTTLED.has(code)) return 'throttled';
  if (PERMANENT.has(code)) return 'permanent';
  if (TRANSIENT.has(code)) return 'transient';
  if (isObject(error)) {
    const retryable = error.$retryable;
    if (isObject(retryable)) {
      return retryable.throttling === true ? 'throttled' : 'transient';
    }
    const status = isObject(error.$metadata) ? error.$metadata.httpStatusCode : undefined;
    if (typeof status === 'number' && status >= 500) return 'transient';
  }
  return 'unexpected';
}

/**
 * The error's code: the exception name for AWS service errors (their `Code` member is not the
 * exception name), a Node system error's `code` (ECONNRESET), else the error's name.
 */
export function errorCode(error: unknown): string {
  if (!isObject(error)) {
    return 'UnknownError';
  }
  // The SDK's retry layer adds $metadata to network errors too; only service errors carry $fault.
  if (!('$fault' in error) && typeof error.code === 'string' && error.code !== '') {
    return error.code;
  }
  return typeof error.name === 'string' && error.name !== '' ? error.name : 'UnknownError';
}

/**
 * Seconds to keep a message hidden before its next attempt (attempt 1 = first receive), with
 * equal jitter: half the step plus a random share of the other half. 0 for classes not retried
 * on a schedule (permanent, unexpected).
 */
export function retryDelaySeconds(errorClass: ErrorClass, attempt: number, random: () => number = Math.random): number {
  const schedule = SCHEDULES[errorClass];
  if (schedule === undefined) {
    return 0;
  }
  const exponent = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt) - 1) : 0;
  const step = Math.min(schedule.capSeconds, schedule.baseSeconds * 2 ** exponent);
  const jittered = Math.floor(step / 2 + random() * (step / 2));
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, jittered));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
