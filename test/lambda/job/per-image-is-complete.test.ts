import { GetMediaAnalysisJobCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleIsComplete } from '../../../lambda/job/is-complete';
import type { IsCompleteRequest } from '../../../lambda/job/types';
import { logOutput } from '../../../lambda/common/log';
import { FULL_PROPERTIES, createEvent } from './fixtures';
import { FakeRuntime } from './runtime-double';

const rekognition = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PerImage';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:PerImage:${'a'.repeat(64)}`;
const PROPERTIES = { ...FULL_PROPERTIES, Engine: 'per-image', PerImageStateMachineArn: STATE_MACHINE };
const FOLDER = 'results/manifests/batch_1.jsonl/aaaaaaaaaaaaaaaa';
const RESULTS = `s3://output-bucket/${FOLDER}/per-image/results/output.jsonl`;
const SUMMARY = `s3://output-bucket/${FOLDER}/per-image/results/manifest-summary.json`;

function waitingEvent(overrides: Partial<IsCompleteRequest> = {}): IsCompleteRequest {
  return {
    ...createEvent(PROPERTIES),
    PhysicalResourceId: EXECUTION,
    Data: { JobId: EXECUTION, JobName: 'deploy-batch_1.jsonl-aaaaaaaa', OutputPrefix: FOLDER, ClientRequestToken: 'a'.repeat(64), Engine: 'per-image' },
    ...overrides,
  };
}

/** The end of a per-image execution: its input, the steps' results, the tracker's answer (`step`) and the publish result. */
function runOutput(status: 'SUCCEEDED' | 'FAILED', failure: { code: string; message: string } | null = null): string {
  return JSON.stringify({
    token: 'a'.repeat(64),
    engine: 'per-image',
    manifest: { bucket: 'input-bucket', key: 'manifests/batch 1.jsonl' },
    jobName: 'deploy-batch_1.jsonl-aaaaaaaa',
    output: { bucket: 'output-bucket', prefix: FOLDER },
    jobDescription: {
      JobId: EXECUTION,
      Status: status,
      ...(failure && { FailureDetails: { Code: failure.code, Message: failure.message } }),
      Results: { S3Object: { Bucket: 'output-bucket', Name: `${FOLDER}/per-image/results/output.jsonl` } },
      ManifestSummary: { S3Object: { Bucket: 'output-bucket', Name: `${FOLDER}/per-image/results/manifest-summary.json` } },
    },
    step: {
      done: true,
      status,
      detail: {
        version: '1',
        engine: 'per-image',
        status,
        failure: failure && { ...failure, stage: 'JOB' },
        output: { bucket: 'output-bucket', prefix: FOLDER, results: RESULTS, summary: SUMMARY, flaggedImages: null, errorReport: null },
      },
    },
    published: { Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 },
  });
}

function execution(fields: Partial<DescribeExecutionCommandOutput>): DescribeExecutionCommandOutput {
  return { $metadata: {}, executionArn: EXECUTION, stateMachineArn: STATE_MACHINE, status: 'RUNNING', startDate: new Date('2026-01-01T00:00:00Z'), ...fields };
}

function sfnError(name: string, status = 400): Error {
  return new SFNServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function runtime() {
  return new FakeRuntime().runtime;
}

beforeEach(() => {
  rekognition.reset();
  sfn.reset();
  jest.spyOn(logOutput, 'log').mockImplementation(() => undefined);
  jest.spyOn(logOutput, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

test('a running execution is not complete', async () => {
  sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'RUNNING' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: false });
  expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
  expect(rekognition).not.toHaveReceivedAnyCommand();
});

test('a succeeded run is complete, with the locations of its output manifest and summary', async () => {
  sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'SUCCEEDED', output: runOutput('SUCCEEDED') }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({
    IsComplete: true,
    Data: { ResultsLocation: RESULTS, SummaryLocation: SUMMARY, Status: 'SUCCEEDED' },
  });
});

test('reads the jobDescription when the output has no completion detail', async () => {
  const { step: _step, ...withoutDetail } = JSON.parse(runOutput('SUCCEEDED'));
  sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'SUCCEEDED', output: JSON.stringify(withoutDetail) }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({
    IsComplete: true,
    Data: { ResultsLocation: RESULTS, SummaryLocation: SUMMARY, Status: 'SUCCEEDED' },
  });
});

test('fails the deployment with the failure code and message when the moderation run FAILED', async () => {
  sfn.on(DescribeExecutionCommand).resolves(execution({
    status: 'SUCCEEDED',
    output: runOutput('FAILED', { code: 'FAILURE_SHARE_EXCEEDED', message: '40 of 100 lines failed (more than 10%)' }),
  }));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(
    `Per-image moderation run ${EXECUTION} FAILED: FAILURE_SHARE_EXCEEDED: 40 of 100 lines failed (more than 10%)`);
});

test('fails when a succeeded execution has no readable output', async () => {
  sfn.on(DescribeExecutionCommand).resolves(execution({ status: 'SUCCEEDED', output: 'not json' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(/has no completion detail/);
});

test.each(['FAILED', 'TIMED_OUT', 'ABORTED'] as const)('fails the deployment with the error and cause of a %s execution', async (status) => {
  sfn.on(DescribeExecutionCommand).resolves(execution({ status, error: 'EventNotPublished', cause: 'EventBridge rejected the completion event' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(
    `Per-image run ${EXECUTION} ended ${status}: EventNotPublished: EventBridge rejected the completion event`);
});

test.each([
  ['ThrottlingException', 400],
  ['ServiceUnavailable', 503],
])('polls again when DescribeExecution fails with %s', async (name, status) => {
  sfn.on(DescribeExecutionCommand).rejects(sfnError(name, status));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: false });
});

test('fails with advice when DescribeExecution is denied', async () => {
  sfn.on(DescribeExecutionCommand).rejects(sfnError('AccessDeniedException'));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(/AccessDeniedException.*Fix: grant .*states:DescribeExecution/);
});

test('does not look at the run without WaitForCompletion, nor on Delete', async () => {
  await expect(handleIsComplete(waitingEvent({ ResourceProperties: { ...PROPERTIES, WaitForCompletion: 'false' } }), runtime())).resolves.toEqual({ IsComplete: true });
  await expect(handleIsComplete(waitingEvent({ RequestType: 'Delete' }), runtime())).resolves.toEqual({ IsComplete: true });
  expect(sfn).not.toHaveReceivedAnyCommand();
});

test('a bulk JobId (engine auto without a fallback) is still checked with GetMediaAnalysisJob', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves({ $metadata: {}, JobId: 'job-42', Status: 'IN_PROGRESS' } as never);

  await expect(handleIsComplete(waitingEvent({ PhysicalResourceId: 'job-42', ResourceProperties: { ...PROPERTIES, Engine: 'auto' } }), runtime()))
    .resolves.toEqual({ IsComplete: false });
  expect(sfn).not.toHaveReceivedAnyCommand();
});
