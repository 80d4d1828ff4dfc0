import { Readable } from 'node:stream';
import { RekognitionClient, RekognitionServiceException, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deriveToken } from '../../../lambda/common/job-request';
import type { TriggerConfig } from '../../../lambda/trigger/config';
import { BatchState, processRecord, receiveCount } from '../../../lambda/trigger/process-record';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { s3EventBody, sqsRecord } from '../../support/sqs-s3-events';

const VALID_MANIFEST = '{"source-ref":"s3://manifest-bucket/images/cat.jpg"}\n';

const rekognitionMock = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const rekognition = new RekognitionClient({ region: 'us-east-1' });
let logs: CapturedLogs;

const CONFIG: TriggerConfig = {
  settings: { outputBucket: 'moderation-results', outputPrefix: 'results/', jobNamePrefix: 'm-' },
  unexpectedErrorAttempts: 5,
  engine: 'bulk',
  validateManifests: true,
};

function context(config: TriggerConfig = CONFIG, batch: BatchState = { capacityExhausted: false }) {
  return { config, rekognition, batch };
}

beforeEach(() => {
  rekognitionMock.reset();
  s3.reset();
  rekognitionMock.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-42' });
  s3.on(PutObjectCommand).resolves({});
  // Manifest pre-validation is on by default: it reads each manifest before its job starts.
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(VALID_MANIFEST)]), ContentLength: Buffer.byteLength(VALID_MANIFEST) }));
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('processRecord', () => {
  test('returns the started job with everything a tracking workflow needs', async () => {
    const record = sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'in/a b.jsonl', versionId: 'v-1' }));

    const outcome = await processRecord(record, context());

    const token = deriveToken('manifest-bucket', 'in/a b.jsonl', 'v:v-1');
    expect(outcome).toEqual({
      kind: 'processed',
      manifests: [{
        outcome: 'started',
        job: {
          engine: 'bulk',
          jobId: 'job-42',
          token,
          jobName: `m-a_b.jsonl-${token.slice(0, 8)}`,
          manifest: { bucket: 'manifest-bucket', key: 'in/a b.jsonl', version: 'v-1' },
          outputPrefix: `results/in/a_b.jsonl/${token.slice(0, 16)}`,
        },
      }],
      disposition: { action: 'ack' },
    });
  });

  test('returns the skip reason of a message that names no manifest', async () => {
    const outcome = await processRecord(sqsRecord('[]'), context());

    expect(outcome).toEqual({ kind: 'skipped', reason: 'body is not a JSON object', disposition: { action: 'ack' } });
  });

  test('marks the batch out of capacity on LimitExceededException, and defers without calling Rekognition once it is', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new RekognitionServiceException({ name: 'LimitExceededException', $fault: 'client', $metadata: {} }));
    const batch: BatchState = { capacityExhausted: false };

    const first = await processRecord(sqsRecord(s3EventBody({ key: 'a.jsonl' })), context(CONFIG, batch));
    const second = await processRecord(sqsRecord(s3EventBody({ key: 'b.jsonl' })), context(CONFIG, batch));

    expect(batch.capacityExhausted).toBe(true);
    expect(rekognitionMock).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
    expect(first.kind === 'processed' && first.manifests[0]).toMatchObject({ outcome: 'deferred', shortCircuited: false });
    expect(second.kind === 'processed' && second.manifests[0]).toMatchObject({ outcome: 'deferred', shortCircuited: true, errorCode: 'LimitExceededException' });
  });

  test('marks the batch throttled when a call stays throttled after the SDK\'s retries, and defers the rest without calling', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new RekognitionServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {} }));
    const batch: BatchState = { capacityExhausted: false };

    const first = await processRecord(sqsRecord(s3EventBody({ key: 'a.jsonl' })), context(CONFIG, batch));
    const second = await processRecord(sqsRecord(s3EventBody({ key: 'b.jsonl' })), context(CONFIG, batch));

    expect(batch.throttled).toBe(true);
    expect(batch.capacityExhausted).toBe(false);
    const callsAfterFirst = rekognitionMock.commandCalls(StartMediaAnalysisJobCommand).length;
    expect(callsAfterFirst).toBeGreaterThanOrEqual(1);
    expect(second.kind === 'processed' && second.manifests[0]).toMatchObject({ outcome: 'deferred', shortCircuited: true, errorCode: 'ThrottlingException' });
    expect(first.kind === 'processed' && first.manifests[0]).toMatchObject({ outcome: 'deferred', shortCircuited: false });
    expect(second.kind === 'processed' && second.disposition).toMatchObject({ action: 'delay', delaySeconds: expect.any(Number) });
    // the second manifest made no call of its own
    expect(rekognitionMock.commandCalls(StartMediaAnalysisJobCommand)).toHaveLength(callsAfterFirst);
  });

  test('writes the error report unencrypted by the handler when no key is configured', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new RekognitionServiceException({ name: 'InvalidManifestException', $fault: 'client', $metadata: {} }));

    const outcome = await processRecord(sqsRecord(s3EventBody()), context());

    expect(outcome.disposition).toEqual({ action: 'ack' });
    expect(outcome.kind === 'processed' && outcome.manifests[0]).toMatchObject({ outcome: 'rejected', errorReport: expect.stringMatching(/^s3:\/\/moderation-results\/results\/.*\/error-report\.json$/) });
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).not.toHaveProperty('ServerSideEncryption');
    expect(put).not.toHaveProperty('SSEKMSKeyId');
  });

  test('treats a response without JobId as an unexpected failure', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).resolves({});

    const outcome = await processRecord(sqsRecord(s3EventBody()), context());

    expect(outcome.kind === 'processed' && outcome.manifests[0]).toMatchObject({ outcome: 'failed', errorCode: 'MissingJobId' });
    expect(outcome.disposition).toEqual({ action: 'retry', errorCode: 'MissingJobId' });
  });

  test('forwards to the dead-letter queue at the configured number of attempts', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new Error('boom'));
    const config = { ...CONFIG, deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/dlq', unexpectedErrorAttempts: 2 };

    const first = await processRecord(sqsRecord(s3EventBody(), { receiveCount: 1 }), context(config));
    const second = await processRecord(sqsRecord(s3EventBody(), { receiveCount: 2 }), context(config));

    expect(first.disposition).toEqual({ action: 'retry', errorCode: 'Error' });
    expect(second.disposition).toEqual({ action: 'dead-letter', errorCode: 'Error', message: 'boom' });
  });

  test('keeps retrying past the attempt limit when no dead-letter queue is configured', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new Error('boom'));

    const outcome = await processRecord(sqsRecord(s3EventBody(), { receiveCount: 50 }), context());

    expect(outcome.disposition).toEqual({ action: 'retry', errorCode: 'Error' });
  });
});

describe('receiveCount', () => {
  test.each([
    ['1', 1],
    ['17', 17],
    [undefined, 1],
    ['', 1],
    ['zero', 1],
    ['0', 1],
  ])('reads ApproximateReceiveCount %p as attempt %p', (value, expected) => {
    const record = sqsRecord('{}');
    (record.attributes as unknown as Record<string, unknown>).ApproximateReceiveCount = value;

    expect(receiveCount(record)).toBe(expected);
  });
});
