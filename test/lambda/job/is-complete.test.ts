import {
  AccessDeniedException,
  GetMediaAnalysisJobCommand,
  type GetMediaAnalysisJobCommandOutput,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleIsComplete } from '../../../lambda/job/is-complete';
import type { IsCompleteRequest } from '../../../lambda/job/types';
import { FULL_PROPERTIES, MINIMAL_PROPERTIES, RESPONSE_URL, createEvent } from './fixtures';
import { FakeRuntime } from './runtime-double';
import { logOutput } from '../../../lambda/common/log';

const rekognition = mockClient(RekognitionClient);
const metadata = { $metadata: {} };

/** What isComplete receives: the onEvent request with onEvent's response merged in. */
function waitingEvent(overrides: Partial<IsCompleteRequest> = {}): IsCompleteRequest {
  return {
    ...createEvent(FULL_PROPERTIES),
    PhysicalResourceId: 'job-42',
    Data: { JobId: 'job-42', JobName: 'deploy-batch_1.jsonl-abcdef12', OutputPrefix: 'results/manifests/batch_1.jsonl/abcdef1234567890', ClientRequestToken: 'abc' },
    ...overrides,
  };
}

function job(fields: Partial<GetMediaAnalysisJobCommandOutput>): GetMediaAnalysisJobCommandOutput {
  return {
    $metadata: {},
    JobId: 'job-42',
    JobName: 'deploy-batch_1.jsonl-abcdef12',
    OperationsConfig: { DetectModerationLabels: {} },
    Status: 'IN_PROGRESS',
    CreationTimestamp: new Date('2026-01-01T00:00:00Z'),
    Input: { S3Object: { Bucket: 'input-bucket', Name: 'manifests/batch 1.jsonl' } },
    OutputConfig: { S3Bucket: 'output-bucket', S3KeyPrefix: 'results/manifests/batch_1.jsonl/abcdef1234567890' },
    ...fields,
  };
}

const runtime = () => new FakeRuntime().runtime;
let logs: string[];
beforeEach(() => {
  rekognition.reset();
  logs = [];
  jest.spyOn(logOutput, 'log').mockImplementation((line: string) => void logs.push(line));
  jest.spyOn(logOutput, 'error').mockImplementation((line: string) => void logs.push(line));
});
afterEach(() => jest.restoreAllMocks());

test('Delete is complete at once, without calling Rekognition', async () => {
  const event = waitingEvent({ RequestType: 'Delete', PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', Data: undefined });

  await expect(handleIsComplete(event, runtime())).resolves.toEqual({ IsComplete: true });
  expect(rekognition).not.toHaveReceivedAnyCommand();
});

test('is complete at once when WaitForCompletion is false', async () => {
  const event = waitingEvent({ ResourceProperties: MINIMAL_PROPERTIES });

  await expect(handleIsComplete(event, runtime())).resolves.toEqual({ IsComplete: true });
  expect(rekognition).not.toHaveReceivedAnyCommand();
});

test.each(['CREATED', 'QUEUED', 'IN_PROGRESS'] as const)('is not complete while the job is %s, and returns no Data', async (status) => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({ Status: status }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: false });
  expect(rekognition).toHaveReceivedCommandWith(GetMediaAnalysisJobCommand, { JobId: 'job-42' });
});

test('returns the result and summary locations the job reports when it succeeded', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({
    Status: 'SUCCEEDED',
    Results: { S3Object: { Bucket: 'output-bucket', Name: 'results/manifests/batch_1.jsonl/abcdef1234567890/job-42/results.jsonl' } },
    ManifestSummary: { S3Object: { Bucket: 'output-bucket', Name: 'results/manifests/batch_1.jsonl/abcdef1234567890/job-42/summary.json' } },
  }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({
    IsComplete: true,
    Data: {
      ResultsLocation: 's3://output-bucket/results/manifests/batch_1.jsonl/abcdef1234567890/job-42/results.jsonl',
      SummaryLocation: 's3://output-bucket/results/manifests/batch_1.jsonl/abcdef1234567890/job-42/summary.json',
      Status: 'SUCCEEDED',
    },
  });
});

test('does not invent locations a succeeded job does not report', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({ Status: 'SUCCEEDED' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: true, Data: { Status: 'SUCCEEDED' } });
});

test('fails the deployment with the failure details when the job failed', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({
    Status: 'FAILED',
    FailureDetails: { Code: 'INVALID_MANIFEST', Message: 'Line 3 is not valid JSON' },
  }));

  await expect(handleIsComplete(waitingEvent(), runtime()))
    .rejects.toThrow(new Error('Moderation job job-42 (deploy-batch_1.jsonl-abcdef12) failed: INVALID_MANIFEST: Line 3 is not valid JSON'));
});

test("names the job from onEvent's Data when Rekognition does not return the name", async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({ Status: 'FAILED', JobName: undefined, FailureDetails: { Code: 'ACCESS_DENIED', Message: 'no access' } }));
  const event = waitingEvent({ Data: { JobName: 'from-on-event' } });

  await expect(handleIsComplete(event, runtime())).rejects.toThrow('Moderation job job-42 (from-on-event) failed: ACCESS_DENIED: no access');
});

test.each([
  ['ThrottlingException', new ThrottlingException({ ...metadata, message: 'Rate exceeded' })],
  ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ ...metadata, message: 'slow down' })],
  ['InternalServerError', new InternalServerError({ ...metadata, message: 'oops' })],
])('polls again at the next interval after %s instead of failing', async (_code, error) => {
  rekognition.on(GetMediaAnalysisJobCommand).rejects(error);

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: false });
});

test('fails with advice when the role may not read the job', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).rejects(new AccessDeniedException({ ...metadata, message: 'not authorized to perform: rekognition:GetMediaAnalysisJob' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(
    "Could not read the status of moderation job job-42: AccessDeniedException: not authorized to perform: rekognition:GetMediaAnalysisJob. Fix: grant the custom resource's role rekognition:GetMediaAnalysisJob.",
  );
});

test('fails when the job is unknown to Rekognition', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).rejects(new ResourceNotFoundException({ ...metadata, message: 'job not found' }));

  await expect(handleIsComplete(waitingEvent(), runtime())).rejects.toThrow(/ResourceNotFoundException: job not found\. Fix: Rekognition keeps job details for one year/);
});

test('keeps polling on a status it does not know', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({ Status: 'PAUSED' as never }));

  await expect(handleIsComplete(waitingEvent(), runtime())).resolves.toEqual({ IsComplete: false });
});

test('logs the JobId and outcome, never the ResponseURL', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(job({ Status: 'QUEUED' }));

  await handleIsComplete(waitingEvent(), runtime());

  expect(logs.map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ RequestType: 'Create', JobId: 'job-42', Status: 'QUEUED', outcome: 'running' }));
  expect(logs.join('\n')).not.toContain(RESPONSE_URL);
});
