import { Readable } from 'node:stream';
import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { forgetRefusal } from '../../../../lambda/trigger/bulk-refusal';
import { loadConfig } from '../../../../lambda/trigger/config';
import { type BatchState, processRecord } from '../../../../lambda/trigger/process-record';
import { captureLogs, CapturedLogs } from '../../../support/capture-logs';
import { s3EventBody, sqsRecord } from '../../../support/sqs-s3-events';

// When a manifest waits its turn instead of starting: behind manifests already in the backlog, and
// (per-image engine) behind the run before it.

const TRACKING = 'arn:aws:states:us-east-1:111122223333:stateMachine:Tracking';
const PER_IMAGE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PerImage';
const BACKLOG = 'https://sqs.us-east-1.amazonaws.com/111122223333/backlog';
const MANIFEST = '{"source-ref":"s3://manifests/images/cat.jpg"}\n';

const rekognitionMock = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const rekognition = new RekognitionClient({ region: 'us-east-1' });
let logs: CapturedLogs;

function config(engine: string, backlog = true) {
  return loadConfig({
    OUTPUT_BUCKET: 'results-bucket',
    TRACKING_STATE_MACHINE_ARN: TRACKING,
    ENGINE: engine,
    PER_IMAGE_STATE_MACHINE_ARN: PER_IMAGE,
    VALIDATE_MANIFESTS: 'false',
    ...backlog && { BACKLOG_QUEUE_URL: BACKLOG },
  });
}

async function process(engine: string, batch: BatchState = { capacityExhausted: false }, backlog = true) {
  const record = sqsRecord(s3EventBody({ bucket: 'manifests', key: 'manifests/a.jsonl', versionId: 'v1' }));
  return processRecord(record, { config: config(engine, backlog), rekognition, batch });
}

beforeEach(() => {
  for (const mock of [rekognitionMock, sfn, s3]) mock.reset();
  rekognitionMock.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(MANIFEST)]), ContentLength: MANIFEST.length }));
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  forgetRefusal();
});

describe('behind the backlog', () => {
  test('a bulk manifest that comes while manifests wait is parked behind them without calling Rekognition', async () => {
    const outcome = await process('bulk', { capacityExhausted: false, backlogWaiting: async () => true });

    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    expect(outcome).toMatchObject({ kind: 'processed', disposition: { action: 'park' } });
    expect(outcome.kind === 'processed' && outcome.manifests[0]).toMatchObject({ outcome: 'deferred', errorCode: 'BacklogWaiting', waitsForTurn: true });
  });

  test('an empty backlog lets the manifest start at once', async () => {
    const outcome = await process('bulk', { capacityExhausted: false, backlogWaiting: async () => false });

    expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
    expect(outcome).toMatchObject({ kind: 'processed', disposition: { action: 'ack' } });
  });

  test('a refused start parks the manifest, and the rest of the batch after it without a call', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(Object.assign(new Error('too many jobs'), { name: 'LimitExceededException', $fault: 'client', $metadata: {} }));
    const batch: BatchState = { capacityExhausted: false, backlogWaiting: async () => false };

    const first = await process('bulk', batch);
    const second = await process('bulk', batch);

    expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
    expect(first).toMatchObject({ disposition: { action: 'park' } });
    expect(second).toMatchObject({ disposition: { action: 'park' } });
  });

  test('a per-image manifest does not queue behind bulk jobs waiting for a slot', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const outcome = await process('per-image', { capacityExhausted: false, backlogWaiting: async () => true });

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(outcome).toMatchObject({ disposition: { action: 'ack' } });
  });
});

describe('per-image runs take turns', () => {
  test('a manifest waits in the backlog while another per-image run is running', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: 'arn:other', stateMachineArn: PER_IMAGE, name: 'other', status: 'RUNNING', startDate: new Date() }] });

    const outcome = await process('per-image');

    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: PER_IMAGE, statusFilter: 'RUNNING', maxResults: 1 });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(outcome).toMatchObject({ disposition: { action: 'park' } });
    expect(outcome.kind === 'processed' && outcome.manifests[0]).toMatchObject({ outcome: 'deferred', errorCode: 'PerImageRunInProgress' });
  });

  test('a manifest starts its run when none is running', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    const outcome = await process('per-image');

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(outcome).toMatchObject({ disposition: { action: 'ack' } });
  });

  test('runs are not counted when the count fails: the manifest starts rather than stalls', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: {} }));

    const outcome = await process('per-image');

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(outcome).toMatchObject({ disposition: { action: 'ack' } });
    expect(logs.lines().some((line) => line.message === 'per-image runs not counted')).toBe(true);
  });

  test('without a backlog (a handler configured before it) runs start without counting', async () => {
    const outcome = await process('per-image', { capacityExhausted: false }, false);

    expect(sfn).not.toHaveReceivedCommand(ListExecutionsCommand);
    expect(outcome).toMatchObject({ disposition: { action: 'ack' } });
  });
});
