import { fateOf } from '../../support/local-aws/manifest-fates';
import { PERMANENT_SERVICE_ERRORS } from '../../../lib/common/contract/error-names';
import { expectRejected, ref, uploadManifest, useMatrixPipeline } from './matrix-pipeline';

// Rekognition and Step Functions answering with errors: every manifest still ends in a job, a
// rejection with its event, a deferral, or the dead-letter queue.

const pipeline = useMatrixPipeline();

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

test.each(['ThrottlingException', 'ProvisionedThroughputExceededException'])('throttled %s from StartMediaAnalysisJob: the manifest waits its turn in the backlog, then starts at a later look', async (exception) => {
  const local = pipeline();
  const key = `manifests/throttled-${exception}.jsonl`;
  const stop = local.rekognition.faults.when((call) => (call.operation === 'StartMediaAnalysisJob' ? exception : undefined));
  await uploadManifest(local, key, [ref(local.inputBucket, 'images/plain.jpg')]);
  const run = await local.deliver();

  expect(run!.response.batchItemFailures).toHaveLength(0);
  expect(fateOf(local, key).kind).toBe('waiting');
  stop();
  await local.drain();
  expect(fateOf(local, key).kind).toBe('job');
});

test.each(['InternalServerError', 'ResourceNotReadyException'])('retryable %s from StartMediaAnalysisJob: deferred (ChangeMessageVisibility), then started on a later delivery', async (exception) => {
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
