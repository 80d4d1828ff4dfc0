import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImageIngestion, ModerationBackfill, ModerationPipeline } from '../../../lib';
import { schemaErrors } from '../../support/event-schema';
import type { PublishedEvent } from '../../support/local-aws/local-pipeline';
import { useImagesIn, type LocalImagesIn } from '../../support/local-aws/local-images-in';

// Images in: bad uploads, end to end. Each row uploads one object (and a plain image, so that its
// batch has a manifest), then: upload -> S3 event -> ingest queue -> batcher -> manifest (+ skip
// report) -> trigger -> job on the Rekognition double -> tracking -> completion event. An image
// is moderated under its exact key; a bad object is in the skip report with its reason and
// counted in detail.skipped. (ingest-uploads.local.test.ts checks the same objects up to the
// manifests, at volume; here each goes through the job to the event.)

const running = useImagesIn();
let images: LocalImagesIn;
beforeEach(() => {
  images = running();
});

/** Uploads the row's objects, runs everything, and returns the one completion event of the row's batch. */
async function runRow(row: string, keys: Array<{ key: string; body: string | Buffer }>, beforeBatching?: () => Promise<void>): Promise<PublishedEvent['detail']> {
  const { local } = images;
  for (const { key, body } of [...keys, { key: `uploads/${row}/plain.jpg`, body: 'image bytes' }]) {
    await local.put(local.inputBucket, key, body);
  }
  await beforeBatching?.();
  const replies = await images.ingest();
  expect(replies.filter((reply) => reply?.error)).toEqual([]);
  const events = await images.moderate();
  expect(events).toHaveLength(1);
  expect(schemaErrors(events[0].detail)).toEqual([]);
  return events[0].detail;
}

async function moderatedKeys(detail: PublishedEvent['detail']): Promise<string[]> {
  const results = await images.local.read(detail.output.results);
  return results.trimEnd().split('\n').map((line) => JSON.parse(line)['source-ref'].slice(`s3://${images.local.inputBucket}/`.length)).sort();
}

const longKey = (() => {
  // In folders: s3rver stores a key as a file path, each name at most 255 characters.
  const folders = `uploads/long/${['a', 'b', 'c', 'd'].map((letter) => letter.repeat(200)).join('/')}/`;
  return `${folders}${'e'.repeat(1024 - folders.length - 4)}.jpg`;
})();

test.each([
  // Each key's second segment names its row (and its batch's plain image).
  ['spaces', 'uploads/spaces/a cat on a mat.jpg'],
  ['plus', 'uploads/plus/a+b=c.png'],
  ['unicode', 'uploads/unicode/ünïcödé 猫 😀.jpeg'],
  ['upper-case suffix', 'uploads/upper/PHOTO.JPG'],
  ['1,024 characters', longKey],
])('a key with %s is moderated under its exact key; nothing skipped', async (_name, key) => {
  expect(key.length).toBeLessThanOrEqual(1024);
  const row = key.split('/')[1];

  const detail = await runRow(row, [{ key, body: 'image bytes' }]);

  expect(detail).toMatchObject({ status: 'SUCCEEDED', moderation: { imagesAnalyzed: 2 }, skipped: { total: 0, byReason: {}, report: null } });
  expect(await moderatedKeys(detail)).toEqual([key, `uploads/${row}/plain.jpg`].sort());
}, 60_000);

test('the 1,024-character key is exactly 1,024 characters', () => {
  expect(longKey).toHaveLength(1024);
});

test.each([
  ['a zero-byte object', 'uploads/zero/empty.jpg', '', 'empty', 0],
  ['a 20 MB object', 'uploads/big/huge.jpg', Buffer.alloc(20 * 1024 * 1024, 1), 'too-large', 20 * 1024 * 1024],
  ['an object of another suffix', 'uploads/text/notes.txt', 'text', 'not-an-image', undefined],
])('%s is not moderated: it is in the skip report and counted in detail.skipped', async (_name, key, body, reason, size) => {
  const row = key.split('/')[1];

  const detail = await runRow(row, [{ key, body }]);

  expect(await moderatedKeys(detail)).toEqual([`uploads/${row}/plain.jpg`]);
  expect(detail.skipped).toEqual({ total: 1, byReason: { [reason]: 1 }, report: expect.stringMatching(/^s3:\/\/.+\/manifests\/ingest\/[0-9a-f]{32}\.skipped\.json$/) });
  const report = JSON.parse(await images.local.read(detail.skipped.report));
  expect(report.manifests).toEqual([`s3://${detail.manifest.bucket}/${detail.manifest.key}`]);
  expect(report.skipped).toEqual([expect.objectContaining({ key, reason, ...(size !== undefined && { size }) })]);
}, 60_000);

test('an object deleted before its batch is written is skipped as not-found', async () => {
  const key = 'uploads/deleted/gone.jpg';
  const { local } = images;

  const detail = await runRow('deleted', [{ key, body: 'image bytes' }], async () => {
    await local.s3.client.send(new DeleteObjectCommand({ Bucket: local.inputBucket, Key: key }));
  });

  expect(await moderatedKeys(detail)).toEqual(['uploads/deleted/plain.jpg']);
  expect(detail.skipped).toMatchObject({ total: 1, byReason: { 'not-found': 1 } });
  expect(JSON.parse(await local.read(detail.skipped.report)).skipped).toEqual([expect.objectContaining({ key, reason: 'not-found' })]);
}, 60_000);

describe('overlapping prefixes fail at synth, naming both', () => {
  test.each<[string, (stack: Stack) => void, RegExp]>([
    ['the ingest prefix and the manifest prefix', (stack) => new ModerationPipeline(stack, 'Pipeline', { imageIngestion: ImageIngestion.fromPrefix('manifests/photos/') }),
      /imageIngestion prefix \('manifests\/photos\/'\) must not overlap manifestPrefix \('manifests\/'\) in the same bucket, or its manifests would be ingested as uploads without end/],
    ['the ingest prefix and the output prefix in one bucket', (stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      new ModerationPipeline(stack, 'Pipeline', { inputBucket: bucket, outputBucket: bucket, imageIngestion: ImageIngestion.fromPrefix('res') });
    }, /imageIngestion prefix \('res'\) must not overlap outputPrefix \('results\/'\) in the same bucket, or results would be ingested as uploads without end/],
    ['a backfill prefix and the manifest prefix', (stack) => {
      const pipeline = new ModerationPipeline(stack, 'Pipeline');
      new ModerationBackfill(stack, 'Backfill', { pipeline, bucket: pipeline.inputBucket, prefix: 'manifests/old/' });
    }, /prefix \('manifests\/old\/'\) must not overlap the pipeline's manifestPrefix \('manifests\/'\) in its input bucket/],
  ])('%s', (_name, build, message) => {
    expect(() => build(new Stack(new App(), 'Stack'))).toThrow(message);
  });
});
