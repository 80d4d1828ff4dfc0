import { classifyError, errorCode, retryDelaySeconds } from '../common/errors';
import { log } from '../common/log';
import type { JobIdentity, ManifestOutcome } from './outcome';

/**
 * The outcome of a manifest whose job may already run but whose next step failed (starting its
 * tracking, or its per-image run): a retryable failure defers the message, anything else (a
 * missing state machine, a permission) is an unexpected failure. The next attempt finds the same
 * job or run again by its token, so retrying is safe.
 */
export function deferOrFail(job: JobIdentity, error: unknown, step: string, fields: Record<string, unknown>, attempt: number): ManifestOutcome {
  const code = errorCode(error);
  const message = `${step}: ${error instanceof Error ? error.message : String(error)}`;
  const errorClass = classifyError(error);
  if (errorClass === 'capacity' || errorClass === 'throttled' || errorClass === 'transient') {
    const delaySeconds = retryDelaySeconds(errorClass, attempt);
    log('WARN', `job deferred: ${step}`, { ...fields, outcome: 'deferred', errorCode: code, delaySeconds, error: message });
    return { outcome: 'deferred', job, errorCode: code, delaySeconds, shortCircuited: false };
  }
  log('ERROR', `unexpected failure: ${step}`, { ...fields, errorCode: code, error: message });
  return { outcome: 'failed', job, errorCode: code, message };
}
