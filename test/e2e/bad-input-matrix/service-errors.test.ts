import { fateOf } from '../../support/local-aws/manifest-fates';
import { PERMANENT_SERVICE_ERRORS } from '../../../lib/common/contract/error-names';
import { expectJob, expectRejected, ref, uploadManifest, useMatrixPipeline } from './matrix-pipeline';
import { retryDelaySeconds } from '../../../lambda/common/errors';

// Rekognition and Step Functions answering with errors: every manifest still ends in a job, a
// rejection with its event, a deferral, or the dead-letter queue.

const pipeline = useMatrixPipeline();

test('a throttling storm (8 manifests at once, StartMediaAnalysisJob 5 TPS): throttled ones are deferred, then all start, one job each', async () => {
  const local = pipeline();
  const keys = Array.from({ length: 8 }, (_, index) => `manifests/storm-${index}.jsonl`);
  for (const key of keys) await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);

  await local.deliver();
  await local.deliver();
  // The clock has not moved: the quota's 5 tokens went to the first batch.
  const deferred = local.queue.messages.filter((message) => message.visibilityChanges.length > 0);
  expect(deferred).toHaveLength(3);
  for (const message of deferred) {
    expect(message.visibilityChanges[0]).toBeGreaterThanOrEqual(5);
    expect(message.visibilityChanges[0]).toBeLessThan(10);
  }
  await local.drain();

  expect(local.rekognition.calls.failed('StartMediaAnalysisJob', 'ThrottlingException').length).toBeGreaterThanOrEqual(3);
  for (const key of keys) {
    const fate = fateOf(local, key);
    expect(fate.kind).toBe('job');
    if (fate.kind === 'job') expect(fate.jobIds).toHaveLength(1);
  }
  expect(local.deadLetterQueue.messages).toHaveLength(0);
});

test('LimitExceeded for an hour of simulated time: deferred again and again with growing delays, never dead-lettered, then started', async () => {
  const local = pipeline();
  // Five hour-long jobs take every slot (the double's limit is 5).
  for (let index = 0; index < 5; index++) await uploadManifest(local, `manifests/hour-long-${index}.jsonl`, [ref(local.inputBucket, 'images/plain.jpg')]);
  await local.deliver();
  expect(local.rekognition.jobs.active()).toBe(5);
  const slotsFreeAt = local.rekognition.clock.now() + 3600 * 1000;
  // A second later, so the request quota is no longer what refuses it.
  local.rekognition.clock.advanceSeconds(1);
  await uploadManifest(local, 'manifests/waits-an-hour.jsonl', [ref(local.inputBucket, 'images/explicit.jpg')]);
  const [message] = local.queue.messages;

  await local.drain({ maxSimulatedSeconds: 3 * 3600 });

  const refusals = local.rekognition.calls.failed('StartMediaAnalysisJob', 'LimitExceededException');
  expect(refusals.length).toBeGreaterThanOrEqual(3);
  expect(refusals.every((call) => call.at < slotsFreeAt)).toBe(true);
  // One Rekognition call per delivery: LimitExceeded is not retried inside an invocation.
  expect(message.visibilityChanges).toHaveLength(refusals.length);
  // Each delay lies in its receive's window of the capacity schedule (equal jitter: half the step
  // to the whole step, the step doubling from 300 s up to the 1-hour cap), so the waits grow until
  // the cap and then stay between 30 and 60 minutes, jittered.
  message.visibilityChanges.forEach((delay, index) => {
    const attempt = index + 1;
    expect(delay).toBeGreaterThanOrEqual(retryDelaySeconds('capacity', attempt, () => 0));
    expect(delay).toBeLessThanOrEqual(retryDelaySeconds('capacity', attempt, () => 1));
  });
  const floors = message.visibilityChanges.map((_delay, index) => retryDelaySeconds('capacity', index + 1, () => 0));
  expect(floors.slice(0, 4)).toEqual([150, 300, 600, 1200]);
  expect(message.visibilityChanges[0]).toBeGreaterThanOrEqual(150);
  expect(local.deadLetterQueue.messages).toHaveLength(0);
  const fate = fateOf(local, 'manifests/waits-an-hour.jsonl');
  expect(fate.kind).toBe('job');
  if (fate.kind === 'job') expect(local.rekognition.jobs.get(fate.jobIds[0])!.createdAt).toBeGreaterThanOrEqual(slotsFreeAt);
  expect((await expectJob(local, 'manifests/waits-an-hour.jsonl')).status).toBe('SUCCEEDED');
});

// Every error the contract calls permanent, but IdempotentParameterMismatch (keys-and-events.test.ts: the job already runs).
test.each(PERMANENT_SERVICE_ERRORS.filter((name) => name !== 'IdempotentParameterMismatchException'))('permanent %s from StartMediaAnalysisJob: error report and FAILED event, message acknowledged', async (exception) => {
  const local = pipeline();
  const key = `manifests/permanent-${exception}.jsonl`;
  local.rekognition.faults.enqueue('StartMediaAnalysisJob', { type: exception, message: `${exception} for this test` });
  await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);
  const run = await local.deliver();

  expect(run!.response).toEqual({ batchItemFailures: [] });
  expect(local.queue.messages).toHaveLength(0);
  const { detail } = await expectRejected(local, key, exception);
  expect(detail.failure.message).toBe(`${exception} for this test`);
  expect(local.rekognition.calls.of('StartMediaAnalysisJob')).toHaveLength(1);
});

test.each([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'InternalServerError',
  'ResourceNotReadyException',
])('retryable %s from StartMediaAnalysisJob: deferred (ChangeMessageVisibility), then started on a later delivery', async (exception) => {
  const local = pipeline();
  const key = `manifests/retryable-${exception}.jsonl`;
  const stop = local.rekognition.faults.when((call) => (call.operation === 'StartMediaAnalysisJob' ? exception : undefined));
  await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);
  const run = await local.deliver();

  expect(run!.response.batchItemFailures).toHaveLength(1);
  expect(fateOf(local, key).kind).toBe('deferred');
  const [message] = local.queue.messages;
  expect(message.visibilityChanges).toHaveLength(1);
  expect(message.visibilityChanges[0]).toBeGreaterThanOrEqual(5);
  stop();
  await local.drain();
  expect(fateOf(local, key).kind).toBe('job');
});

test('tracking cannot start (StateMachineDoesNotExist): retried, then forwarded to the dead-letter queue with its reason after 5 receives; one job', async () => {
  const local = pipeline();
  local.aws.setStartExecutionFault('StateMachineDoesNotExist');
  await uploadManifest(local, 'manifests/untracked.jsonl', [ref(local.inputBucket, 'images/plain.jpg')]);
  const invocations = await local.drain({ maxSimulatedSeconds: 3600 });

  expect(invocations).toBe(5);
  const fate = fateOf(local, 'manifests/untracked.jsonl');
  expect(fate.kind).toBe('dead-lettered');
  if (fate.kind === 'dead-lettered') {
    expect(fate.message.messageAttributes).toMatchObject({
      ErrorCode: { DataType: 'String', StringValue: 'StateMachineDoesNotExist' },
      ErrorMessage: { DataType: 'String', StringValue: expect.stringMatching(/tracking.*StateMachineDoesNotExist/) },
    });
  }
  const jobs = local.rekognition.jobs.all().filter((job) => job.Input.S3Object.Name === 'manifests/untracked.jsonl');
  expect(jobs).toHaveLength(1);
  expect(local.rekognition.calls.of('StartMediaAnalysisJob')).toHaveLength(5);
});
