import type { Disposition, ManifestOutcome } from './outcome';

export interface DispositionPolicy {
  readonly deadLetterQueueUrl?: string;
  readonly unexpectedErrorAttempts: number;
}

/**
 * One message may name several manifests. Retrying it repeats the started ones harmlessly (same
 * token, same job), so the message is kept while any manifest still needs another attempt.
 */
export function decideDisposition(outcomes: readonly ManifestOutcome[], attempt: number, policy: DispositionPolicy): Disposition {
  const failed = outcomes.find((outcome) => outcome.outcome === 'failed');
  if (failed?.outcome === 'failed' && attempt >= policy.unexpectedErrorAttempts && policy.deadLetterQueueUrl !== undefined) {
    return { action: 'dead-letter', errorCode: failed.errorCode, message: failed.message };
  }
  const delays = outcomes.flatMap((outcome) => (outcome.outcome === 'deferred' ? [outcome.delaySeconds] : []));
  if (delays.length > 0) {
    return { action: 'delay', delaySeconds: Math.max(...delays) };
  }
  if (failed?.outcome === 'failed') {
    return { action: 'retry', errorCode: failed.errorCode };
  }
  return { action: 'ack' };
}
