import { classifyError, errorCode, type ErrorClass } from '../common/errors';
import { DEFAULT_RETRY_POLICY, type HandlerRuntime } from './runtime';

/** Classes worth another attempt within one invocation. */
const RETRIED: ReadonlySet<ErrorClass> = new Set<ErrorClass>(['capacity', 'throttled', 'transient']);

export type Attempts<T> =
  | { readonly ok: true; readonly value: T }
  /** retryable: the error was worth retrying but the budget ran out. */
  | { readonly ok: false; readonly error: unknown; readonly retryable: boolean; readonly attempts: number; readonly elapsedMs: number };

/** What is logged before each retry. */
export interface RetryDetails {
  readonly attempt: number;
  readonly errorCode: string;
  readonly errorClass: ErrorClass;
  readonly delayMs: number;
}

/**
 * Calls the operation until it succeeds, fails with an error that retrying cannot fix, or the
 * retry budget is spent. Throttling, capacity and temporary errors are retried with exponential
 * backoff (equal jitter), the budget measured on the clock from this call so the SDK's own retries
 * count too, and never past the Lambda timeout minus a safety margin.
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  runtime: Pick<HandlerRuntime, 'retry' | 'now' | 'remainingTimeMs' | 'random' | 'sleep'>,
  onRetry: (details: RetryDetails) => void,
): Promise<Attempts<T>> {
  const policy = runtime.retry ?? DEFAULT_RETRY_POLICY;
  const started = runtime.now();
  const remaining = runtime.remainingTimeMs?.();
  const budget = remaining === undefined ? policy.budgetMs : Math.min(policy.budgetMs, remaining - policy.safetyMarginMs);
  const deadline = started + budget;

  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await operation() };
    } catch (error) {
      const errorClass = classifyError(error);
      const failed = (retryable: boolean): Attempts<T> => ({ ok: false, error, retryable, attempts: attempt, elapsedMs: runtime.now() - started });
      if (!RETRIED.has(errorClass)) return failed(false);
      const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(step / 2 + runtime.random() * (step / 2));
      if (runtime.now() + delay > deadline) return failed(true);
      onRetry({ attempt, errorCode: errorCode(error), errorClass, delayMs: delay });
      await runtime.sleep(delay);
    }
  }
}
