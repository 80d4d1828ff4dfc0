import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Readable } from 'node:stream';
import { prepareManifest } from '../../../../lambda/per-image/prepare/prepare-manifest';
import type { PrepareInput } from '../../../../lambda/per-image/per-image-types';

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
