import type { Disposition, ManifestOutcome } from './outcome';

export interface DispositionPolicy {
  readonly deadLetterQueueUrl?: string;
  readonly unexpectedErrorAttempts: number;
  /** Set: manifests that wait for a free job slot wait in this queue. */
  readonly backlogQueueUrl?: string;
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
  const deferred = outcomes.flatMap((outcome) => (outcome.outcome === 'deferred' ? [outcome] : []));
  if (deferred.length > 0) {
    const delaySeconds = Math.max(...deferred.map((outcome) => outcome.delaySeconds));
    const onlyWaitsForTurn = failed === undefined && deferred.every((outcome) => outcome.waitsForTurn === true);
    return { action: onlyWaitsForTurn && policy.backlogQueueUrl !== undefined ? 'park' : 'delay', delaySeconds };
  }
  if (failed?.outcome === 'failed') {
    return { action: 'retry', errorCode: failed.errorCode };
  }
  return { action: 'ack' };
}
