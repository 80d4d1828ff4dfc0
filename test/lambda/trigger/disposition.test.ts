import { decideDisposition } from '../../../lambda/trigger/disposition';
import type { JobIdentity, ManifestOutcome } from '../../../lambda/trigger/outcome';

const job: JobIdentity = { manifest: { bucket: 'b-1', key: 'k' }, token: 't', jobName: 'j', outputPrefix: 'p' };
const started: ManifestOutcome = { outcome: 'started', job: { ...job, jobId: 'job-1' } };
const rejected: ManifestOutcome = { outcome: 'rejected', job, errorCode: 'InvalidManifestException', errorReport: 's3://b/p/error-report.json' };
const failed: ManifestOutcome = { outcome: 'failed', job, errorCode: 'TypeError', message: 'boom' };
const deferred = (delaySeconds: number): ManifestOutcome => ({ outcome: 'deferred', job, errorCode: 'ThrottlingException', delaySeconds, shortCircuited: false });

const waiting = (errorCode: string, delaySeconds = 300): ManifestOutcome => ({ outcome: 'deferred', job, errorCode, delaySeconds, shortCircuited: true, waitsForTurn: true });
const transient: ManifestOutcome = { outcome: 'deferred', job, errorCode: 'InternalServerError', delaySeconds: 30, shortCircuited: false, waitsForTurn: false };

const policy = { deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/dlq', unexpectedErrorAttempts: 5 };
const withBacklog = { ...policy, backlogQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/backlog' };

describe('decideDisposition', () => {
  test('acknowledges a message whose manifests all started or were rejected', () => {
    expect(decideDisposition([started, rejected], 1, policy)).toEqual({ action: 'ack' });
  });

  test('delays the message by the longest delay any of its manifests asked for', () => {
    expect(decideDisposition([deferred(40), started, deferred(300)], 1, policy)).toEqual({ action: 'delay', delaySeconds: 300 });
  });

  test('retries an unexpected failure before the attempt limit', () => {
    expect(decideDisposition([started, failed], 4, policy)).toEqual({ action: 'retry', errorCode: 'TypeError' });
  });

  test('forwards an unexpected failure to the dead-letter queue at the attempt limit, even beside deferred manifests', () => {
    expect(decideDisposition([deferred(300), failed], 5, policy)).toEqual({ action: 'dead-letter', errorCode: 'TypeError', message: 'boom' });
  });

  test('keeps retrying at the limit when no dead-letter queue is configured', () => {
    expect(decideDisposition([failed], 9, { unexpectedErrorAttempts: 5 })).toEqual({ action: 'retry', errorCode: 'TypeError' });
  });

  test('prefers the scheduled delay to an immediate retry when both are needed before the limit', () => {
    expect(decideDisposition([failed, deferred(120)], 2, policy)).toEqual({ action: 'delay', delaySeconds: 120 });
  });

  test('parks a message whose manifests wait only for their turn (a slot, the start rate, the run before them) in the backlog', () => {
    expect(decideDisposition([started, waiting('LimitExceededException', 300), waiting('ThrottlingException', 10)], 3, withBacklog))
      .toEqual({ action: 'park', delaySeconds: 300 });
  });

  test('delays instead of parking when a manifest waits for something else (a transient error) or failed', () => {
    expect(decideDisposition([waiting('LimitExceededException'), transient], 1, withBacklog)).toEqual({ action: 'delay', delaySeconds: 300 });
    expect(decideDisposition([waiting('LimitExceededException'), failed], 1, withBacklog)).toEqual({ action: 'delay', delaySeconds: 300 });
  });

  test('delays on the manifest queue, as before the backlog, when there is no backlog', () => {
    expect(decideDisposition([waiting('LimitExceededException', 600)], 2, policy)).toEqual({ action: 'delay', delaySeconds: 600 });
  });
});
