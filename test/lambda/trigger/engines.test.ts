import { Readable } from 'node:stream';
import { RekognitionClient, RekognitionServiceException, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { forgetRefusal, REMEMBER_REFUSAL_MS } from '../../../lambda/trigger/bulk-refusal';
import { loadConfig } from '../../../lambda/trigger/config';
import { processRecord } from '../../../lambda/trigger/process-record';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { s3EventBody, sqsRecord } from '../../support/sqs-s3-events';

const TRACKING = 'arn:aws:states:us-east-1:111122223333:stateMachine:Tracking';
const PER_IMAGE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PerImage';
const MANIFEST = '{"source-ref":"s3://manifests/images/cat.jpg"}\n';

const rekognitionMock = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const rekognition = new RekognitionClient({ region: 'us-east-1' });
let logs: CapturedLogs;

function config(engine: string) {
  return loadConfig({
    OUTPUT_BUCKET: 'results-bucket',
    OUTPUT_PREFIX: 'results/',
    JOB_NAME_PREFIX: 'm-',
    TRACKING_STATE_MACHINE_ARN: TRACKING,
    ENGINE: engine,
    PER_IMAGE_STATE_MACHINE_ARN: PER_IMAGE,
  });
}

async function process(engine: string) {
  const record = sqsRecord(s3EventBody({ bucket: 'manifests', key: 'manifests/a.jsonl', versionId: 'v1' }));
  return processRecord(record, { config: config(engine), rekognition, batch: { capacityExhausted: false } });
}

function rekognitionError(name: string): Error {
  return new RekognitionServiceException({ name, message: `${name}: not for you`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function executionsOf(stateMachineArn: string) {
  return sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input).filter((i) => i.stateMachineArn === stateMachineArn);
}

beforeEach(() => {
  for (const mock of [rekognitionMock, sfn, s3]) mock.reset();
  rekognitionMock.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(MANIFEST)]), ContentLength: MANIFEST.length }));
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  forgetRefusal();
  jest.useRealTimers();
});

test("engine 'per-image' never calls StartMediaAnalysisJob and starts one per-image run named after the token", async () => {
  const outcome = await process('per-image');

  expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
  expect(executionsOf(TRACKING)).toHaveLength(0);
  const [run] = executionsOf(PER_IMAGE);
  const input = JSON.parse(run.input!);
  expect(run.name).toBe(input.token);
  expect(input).toMatchObject({ engine: 'per-image', manifest: { bucket: 'manifests', key: 'manifests/a.jsonl', version: 'v1' } });
  expect(input.fallbackReason).toBeUndefined();
  expect(outcome).toMatchObject({ disposition: { action: 'ack' }, manifests: [{ outcome: 'started', job: { engine: 'per-image' } }] });
});

test("engine 'auto' runs bulk analysis when the account has it", async () => {
  await process('auto');

  expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
  expect(executionsOf(TRACKING)).toHaveLength(1);
  expect(executionsOf(PER_IMAGE)).toHaveLength(0);
});

test("engine 'auto' falls back to the per-image run when bulk analysis is refused, and says why", async () => {
  rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(rekognitionError('AccessDeniedException'));

  const outcome = await process('auto');

  const [run] = executionsOf(PER_IMAGE);
  expect(JSON.parse(run.input!)).toMatchObject({
    engine: 'per-image',
    fallbackReason: expect.stringContaining('AccessDeniedException'),
  });
  expect(s3).not.toHaveReceivedCommand(PutObjectCommand); // no error report: the manifest is not rejected
  expect(outcome).toMatchObject({ disposition: { action: 'ack' }, manifests: [{ outcome: 'started', job: { engine: 'per-image' } }] });
});

test("engine 'auto' sends the container's next manifests per image without asking again, for 15 minutes", async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(rekognitionError('AccessDeniedException'));
  await process('auto');
  const first = JSON.parse(executionsOf(PER_IMAGE)[0].input!);

  await process('auto');

  expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
  expect(executionsOf(PER_IMAGE)).toHaveLength(2);
  // the same reason, so a duplicate delivery still sends byte-identical input
  expect(JSON.parse(executionsOf(PER_IMAGE)[1].input!).fallbackReason).toBe(first.fallbackReason);

  jest.setSystemTime(Date.now() + REMEMBER_REFUSAL_MS + 1);
  await process('auto');
  expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 2);
});

test("engine 'auto' rejects a bad manifest as bulk does, without falling back", async () => {
  rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(rekognitionError('InvalidManifestException'));

  const outcome = await process('auto');

  expect(executionsOf(PER_IMAGE)).toHaveLength(0);
  expect(outcome).toMatchObject({ manifests: [{ outcome: 'rejected', errorCode: 'InvalidManifestException' }] });
});

test("engine 'bulk' reports a refusal as a permanent failure, with no per-image run", async () => {
  rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(rekognitionError('AccessDeniedException'));

  const outcome = await process('bulk');

  expect(executionsOf(PER_IMAGE)).toHaveLength(0);
  expect(outcome).toMatchObject({ manifests: [{ outcome: 'rejected', errorCode: 'AccessDeniedException' }] });
});

test('a throttled per-image start keeps the message for a delayed retry', async () => {
  sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: {} }));

  const outcome = await process('per-image');

  expect(outcome).toMatchObject({ disposition: { action: 'delay' }, manifests: [{ outcome: 'deferred', errorCode: 'ThrottlingException' }] });
});

test('the engine and the per-image workflow are checked once, when the configuration is read', () => {
  expect(() => config('fastest')).toThrow(/ENGINE must be 'bulk', 'per-image', 'auto' \(given "fastest"\)/);
  expect(() => loadConfig({ OUTPUT_BUCKET: 'results-bucket', ENGINE: 'auto' })).toThrow(/PER_IMAGE_STATE_MACHINE_ARN is required with engine 'auto'/);
});
