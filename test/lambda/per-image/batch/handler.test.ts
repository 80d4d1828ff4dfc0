import type { Context } from 'aws-lambda';
import { DetectModerationLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { BatchEvent } from '../../../../lib/per-image/per-image-workflow-contract';
import { captureLogs, type CapturedLogs } from '../../../support/capture-logs';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ADAPTER = 'arn:aws:rekognition:us-east-1:111122223333:project/p/version/v1/1700000000000';

let handler: typeof import('../../../../lambda/per-image/batch').handler;
let logs: CapturedLogs;

beforeAll(async () => {
  Object.assign(process.env, { CALLS_PER_SECOND: '1000', MAX_IN_FLIGHT: '4', MIN_CONFIDENCE: '60', PROJECT_VERSION: ADAPTER, KMS_KEY_ID: KEY_ARN });
  ({ handler } = await import('../../../../lambda/per-image/batch'));
});

afterAll(() => {
  for (const name of ['CALLS_PER_SECOND', 'MAX_IN_FLIGHT', 'MIN_CONFIDENCE', 'PROJECT_VERSION', 'KMS_KEY_ID']) delete process.env[name];
});

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  logs = captureLogs();
});

afterEach(() => logs.restore());

function batch(count: number, key = (line: number) => `img-${line}.jpg`): BatchEvent {
  return {
    Items: Array.from({ length: count }, (_, i) => ({ line: i + 3, bucket: 'images', key: key(i + 3), sourceRef: `s3://images/${key(i + 3)}` })),
    BatchInput: { output: { bucket: 'results', prefix: 'results/m.jsonl/0123456789abcdef' }, round: 2 },
  };
}

test('calls DetectModerationLabels per image with the configured MinConfidence and adapter, and answers inline', async () => {
  rekognition.on(DetectModerationLabelsCommand).resolves({
    ModerationLabels: [{ Name: 'Violence', ParentName: '', Confidence: 91.3, TaxonomyLevel: 1 }],
    ModerationModelVersion: '7.0',
    ContentTypes: [{ Name: 'Animated', Confidence: 72.7 }],
  });

  const output = await handler(batch(2));

  expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, {
    Image: { S3Object: { Bucket: 'images', Name: 'img-3.jpg' } },
    MinConfidence: 60,
    ProjectVersion: ADAPTER,
  });
  expect(output).toEqual({
    results: [3, 4].map((line) => ({
      line,
      labels: {
        ModerationLabels: [{ Name: 'Violence', ParentName: '', Confidence: 91.3, TaxonomyLevel: 1 }],
        ModerationModelVersion: '7.0',
        ContentTypes: [{ Name: 'Animated', Confidence: 72.7 }],
      },
    })),
  });
  expect(s3.calls()).toHaveLength(0);
  expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'batch analysed', round: 2, firstLine: 3, items: 2, analyzed: 2 }));
});

test('writes results too large for Step Functions to S3, encrypted, and answers where they are', async () => {
  // 50 images x 60 labels: well over 200 KiB inline
  const labels = Array.from({ length: 60 }, (_, i) => ({ Name: `Label number ${i} with a long enough name`, ParentName: 'Some parent label', Confidence: 50.123456, TaxonomyLevel: 2 }));
  rekognition.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: labels, ModerationModelVersion: '7.0', ContentTypes: [] });
  s3.on(PutObjectCommand).resolves({});

  const output = await handler(batch(50));

  const key = 'results/m.jsonl/0123456789abcdef/per-image/batches/round-2/line-3.jsonl';
  expect(output).toEqual({ spilled: { bucket: 'results', key }, count: 50 });
  expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'results', Key: key, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
  const body = String(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body);
  const lines = body.trim().split('\n').map((line) => JSON.parse(line));
  expect(lines.map((line) => line.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
  expect(lines[0].labels.ModerationLabels).toHaveLength(60);
});

test('logs with the invocation\'s request id and the step\'s persistent keys', async () => {
  rekognition.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [] });
  const context = { awsRequestId: 'request-1', getRemainingTimeInMillis: () => 240_000 } as unknown as Context;

  await handler(batch(1), context);

  expect(logs.lines()).toContainEqual(expect.objectContaining({
    message: 'batch analysed', requestId: 'request-1', coldStart: expect.any(Boolean), engine: 'per-image', step: 'batch',
  }));
});
