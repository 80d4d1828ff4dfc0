import type { S3Client } from '@aws-sdk/client-s3';
import { prepareManifest } from '../../../../lambda/per-image/prepare/prepare-manifest';
import type { PrepareInput } from '../../../../lib/per-image/per-image-workflow-contract';
import { LocalS3, startLocalS3 } from '../../../support/local-s3';
import { getJsonLines, listKeys, localS3Client, putText } from '../../../support/per-image/s3';

const PREFIX = 'results/manifests/m.jsonl/0123456789abcdef';
const NOW = new Date('2026-05-01T10:00:00.000Z');

let server: LocalS3;
let s3: S3Client;

beforeAll(async () => {
  server = await startLocalS3(['manifests', 'results']);
  s3 = localS3Client(server.url);
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

function input(key: string, version?: string): PrepareInput {
  return {
    token: 'a'.repeat(64),
    manifest: { bucket: 'manifests', key, ...(version && { version }) },
    output: { bucket: 'results', prefix: `${PREFIX}/${key}` },
    startedAt: '2026-05-01T09:59:00.000Z',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:PerImage:aaaa',
  };
}

const ref = (key: string) => JSON.stringify({ 'source-ref': `s3://images/${key}` });

test('splits the manifest into numbered image items and invalid lines, in manifest order', async () => {
  // GIVEN
  const manifest = [
    ref('a.jpg'),
    'not json',
    '',
    ref('b.png'),
    JSON.stringify({ other: 1 }),
    JSON.stringify({ 'source-ref': 'https://images/x.jpg' }),
    ref('c.gif'),
    ref('a.jpg'),
  ].join('\n');
  await putText(s3, 'manifests', 'split.jsonl', `${manifest}\n`);

  // WHEN
  const output = await prepareManifest(input('split.jsonl'), s3, { now: () => NOW, mapConcurrency: 4, maxItemsPerBatch: 50 });

  // THEN
  const folder = `${PREFIX}/split.jsonl/per-image`;
  expect(output).toEqual({
    accepted: true,
    totalLines: 8,
    validLines: 4,
    invalidLines: 4,
    items: { bucket: 'results', key: `${folder}/items.jsonl` },
    invalid: { bucket: 'results', key: `${folder}/invalid-lines.jsonl` },
    mapResultsPrefix: `${folder}/map-results`,
    // 4 images over 4 children: one each
    work: { round: 1, items: { bucket: 'results', key: `${folder}/items.jsonl` }, mapResults: [], waitSeconds: 0, itemsPerBatch: 1 },
  });
  expect(await getJsonLines(s3, 'results', `${folder}/items.jsonl`)).toEqual([
    { line: 1, bucket: 'images', key: 'a.jpg', sourceRef: 's3://images/a.jpg' },
    { line: 4, bucket: 'images', key: 'b.png', sourceRef: 's3://images/b.png' },
    // not .jpg/.png: still analysed, Rekognition decides (as bulk analysis would)
    { line: 7, bucket: 'images', key: 'c.gif', sourceRef: 's3://images/c.gif' },
    // duplicates are processed, not filtered
    { line: 8, bucket: 'images', key: 'a.jpg', sourceRef: 's3://images/a.jpg' },
  ]);
  const invalid = await getJsonLines(s3, 'results', `${folder}/invalid-lines.jsonl`);
  expect(invalid.map((line) => [line.line, line.code])).toEqual([[2, 'NOT_JSON'], [3, 'EMPTY_LINE'], [5, 'NO_SOURCE_REF'], [6, 'BAD_SOURCE_REF']]);
  expect(invalid.every((line) => typeof line.message === 'string' && line.message.length > 0)).toBe(true);
});

test('writes an empty invalid-lines file when every line names an image', async () => {
  await putText(s3, 'manifests', 'clean.jsonl', `${ref('a.jpg')}\n${ref('b.jpg')}`);

  const output = await prepareManifest(input('clean.jsonl'), s3);

  expect(output).toMatchObject({ accepted: true, totalLines: 2, validLines: 2, invalidLines: 0 });
  expect(await getJsonLines(s3, 'results', `${PREFIX}/clean.jsonl/per-image/invalid-lines.jsonl`)).toEqual([]);
});

test('handles a 10,000-line manifest, the bulk limit', async () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => ref(`folder/image-${i + 1}.jpg`));
  await putText(s3, 'manifests', 'full.jsonl', lines.join('\n'));

  const output = await prepareManifest(input('full.jsonl'), s3, { mapConcurrency: 3, maxItemsPerBatch: 50 });

  // 10,000 over 3 children, 50 at most: 67 waves of 3 batches of 50 (the last batch short)
  expect(output).toMatchObject({ accepted: true, totalLines: 10_000, validLines: 10_000, work: { itemsPerBatch: 50 } });
  const items = await getJsonLines(s3, 'results', `${PREFIX}/full.jsonl/per-image/items.jsonl`);
  expect(items).toHaveLength(10_000);
  expect(items[9_999]).toEqual({ line: 10_000, bucket: 'images', key: 'folder/image-10000.jpg', sourceRef: 's3://images/folder/image-10000.jpg' });
});

describe('rejects, as bulk analysis would, with a FAILED job description and no items', () => {
  const failed = (Code: string, Message: RegExp) => ({
    accepted: false,
    jobDescription: {
      JobId: 'arn:aws:states:us-east-1:111122223333:execution:PerImage:aaaa',
      Status: 'FAILED',
      FailureDetails: { Code, Message: expect.stringMatching(Message) },
      CreationTimestamp: '2026-05-01T09:59:00.000Z',
      CompletionTimestamp: NOW.toISOString(),
    },
  });

  test('a manifest that does not exist', async () => {
    const output = await prepareManifest(input('missing.jsonl'), s3, { now: () => NOW });
    expect(output).toEqual(failed('INVALID_S3_OBJECT', /s3:\/\/manifests\/missing.jsonl cannot be read: NoSuchKey/));
  });

  test.each([
    ['an empty manifest', 'empty.jsonl', '', /is empty/, {}],
    ['a manifest of blank lines', 'blank.jsonl', '\n  \n\n', /is empty/, {}],
    ['a manifest that names no image', 'nothing.jsonl', 'a\n{"x":1}\n', /None of the manifest's 2 lines names an image/, {}],
    ['a manifest over the line limit', 'long.jsonl', Array(6).fill(ref('a.jpg')).join('\n'), /more than 5 lines/, { maxLines: 5 }],
    ['a manifest over the size limit', 'big.jsonl', ref('a-long-enough-key-for-the-limit.jpg'), /is 64 bytes, larger than the allowed 40/, { maxBytes: 40 }],
  ])('%s', async (_what, key, body, message, limits) => {
    await putText(s3, 'manifests', key, body);

    const output = await prepareManifest(input(key), s3, { now: () => NOW, ...limits });

    expect(output).toEqual(failed('INVALID_MANIFEST', message));
    expect(await listKeys(s3, 'results', `${PREFIX}/${key}/`)).toEqual([]);
  });
});
