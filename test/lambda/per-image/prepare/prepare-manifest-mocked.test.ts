import type { Context } from 'aws-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Readable } from 'node:stream';
import { prepareManifest } from '../../../../lambda/per-image/prepare/prepare-manifest';
import type { PrepareInput } from '../../../../lib/per-image/per-image-workflow-contract';
import { captureLogs } from '../../../support/capture-logs';

// The S3 client mocked: what s3rver cannot show (versions, throttling).
const mocked = mockClient(S3Client);
afterEach(() => mocked.reset());

function input(version?: string): PrepareInput {
  return {
    token: 'a'.repeat(64),
    manifest: { bucket: 'manifests', key: 'm.jsonl', ...(version && { version }) },
    output: { bucket: 'results', prefix: 'results/m.jsonl/0123456789abcdef' },
    startedAt: '2026-05-01T09:59:00.000Z',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:PerImage:aaaa',
  };
}

test('reads the manifest version the event named', async () => {
  mocked.on(GetObjectCommand).resolves({ Body: Readable.from([`${JSON.stringify({ 'source-ref': 's3://images/a.jpg' })}\n`]) as any, ContentLength: 40 });

  const output = await prepareManifest(input('v-42'), new S3Client({ region: 'us-east-1' }));

  expect(mocked).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'manifests', Key: 'm.jsonl', VersionId: 'v-42' });
  expect(output).toMatchObject({ accepted: true, validLines: 1 });
});

test('rejects a version that does not exist', async () => {
  mocked.on(GetObjectCommand).rejects(Object.assign(new Error('The specified version does not exist.'), { name: 'NoSuchVersion', $fault: 'client' }));

  const output = await prepareManifest(input('v-gone'), new S3Client({ region: 'us-east-1' }));

  expect(output).toMatchObject({ accepted: false, jobDescription: { Status: 'FAILED', FailureDetails: { Code: 'INVALID_S3_OBJECT', Message: expect.stringContaining('(version v-gone)') } } });
});

test('throws S3 errors that may pass, for the workflow to retry', async () => {
  mocked.on(GetObjectCommand).rejects(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server' }));

  await expect(prepareManifest(input(), new S3Client({ region: 'us-east-1' }))).rejects.toMatchObject({ name: 'SlowDown' });
});

test('the handler sizes the first round from its settings and logs with the invocation\'s request id', async () => {
  // GIVEN 20 images; 2 children of at most 7 items: 2 waves of 2 batches of 5 (without settings: 1 batch of 20)
  const manifest = Array.from({ length: 20 }, (_, i) => `${JSON.stringify({ 'source-ref': `s3://images/${i}.jpg` })}\n`).join('');
  mocked.on(GetObjectCommand).resolves({ Body: Readable.from([manifest]) as any, ContentLength: manifest.length });
  const logs = captureLogs();
  Object.assign(process.env, { MAP_CONCURRENCY: '2', MAX_ITEMS_PER_BATCH: '7' });
  try {
    const { handler } = await import('../../../../lambda/per-image/prepare');

    // WHEN
    const output = await handler(input(), { awsRequestId: 'request-7' } as Context);

    // THEN
    expect(output).toMatchObject({ accepted: true, work: { itemsPerBatch: 5 } });
    expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'manifest prepared', requestId: 'request-7', engine: 'per-image', step: 'prepare' }));
  } finally {
    logs.restore();
    delete process.env.MAP_CONCURRENCY;
    delete process.env.MAX_ITEMS_PER_BATCH;
  }
});

test('the handler refuses to load with unusable settings, naming the variable', async () => {
  process.env.MAX_ITEMS_PER_BATCH = '0';
  try {
    await jest.isolateModulesAsync(async () => {
      await expect(import('../../../../lambda/per-image/prepare')).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('MAX_ITEMS_PER_BATCH') });
    });
  } finally {
    delete process.env.MAX_ITEMS_PER_BATCH;
  }
});
