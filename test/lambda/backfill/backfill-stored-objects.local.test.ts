import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MAX_BATCH_INPUT_BYTES, SUMMARIZE_HANDLER, WRITE_MANIFESTS_HANDLER } from '../../../lib/backfill/backfill-contract';
import { handlerBundle } from '../../support/bundled-handler';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS } from '../../support/local-s3';
import { startConditionalPutProxy, type ConditionalPutProxy } from '../../support/local-aws/conditional-put-proxy';
import { startS3ServerWithEvents, type S3ServerWithEvents } from '../../support/local-aws/s3-server';
import { WarmHandler } from '../../support/local-aws/warm-handler';
import { listItems as listStoredItems, runBackfillMap } from '../../support/local-aws/backfill-map';

/**
 * A backfill of objects already stored in s3rver (behind a proxy giving it S3's create-only PUT),
 * run twice. Step Functions' part is played as the ASL says (and as the construct tests check):
 * ListObjectsV2 pages -> the ItemSelector (Key, Size, ETag) -> the ItemBatcher (at most
 * maxImagesPerManifest items and MAX_BATCH_INPUT_BYTES a batch) -> the bundled writer per batch
 * -> the ResultWriter's files -> the bundled summarizer. aws-local-stepfunctions cannot run a
 * Distributed Map's ItemReader, so the handlers run for real and the Map is emulated here.
 */

const BUCKET = 'input';
/** s3rver stores an object as files: a few thousand here (BACKFILL_LOCAL_IMAGES for more). */
const IMAGES = Number(process.env.BACKFILL_LOCAL_IMAGES ?? 1_500);
const MAX_IMAGES = 1_000;
const MANIFEST_FOLDER = 'manifests/backfill/Photos-12345678/';

let s3: S3ServerWithEvents;
let proxy: ConditionalPutProxy;
let writer: WarmHandler;
let summarizer: WarmHandler;
/** Keys created under the manifest prefix, as s3rver announced them. */
const created: string[] = [];

beforeAll(async () => {
  s3 = await startS3ServerWithEvents([BUCKET]);
  proxy = await startConditionalPutProxy(s3.url);
  s3.onNotification((notification) => {
    const key = decodeURIComponent(notification.Records[0].s3.object.key);
    if (key.startsWith('manifests/')) created.push(key);
  });
  const env = {
    ...LOCAL_S3_CLIENT_ENV,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: proxy.url,
    S3_FORCE_PATH_STYLE: 'true',
    BACKFILL_NAME: 'Photos-12345678',
    IMAGE_BUCKET: BUCKET,
    IMAGE_PREFIX: 'photos/',
    MANIFEST_BUCKET: BUCKET,
    MANIFEST_FOLDER,
    MANIFEST_SUFFIX: '.jsonl',
    MAX_IMAGES_PER_MANIFEST: String(MAX_IMAGES),
  };
  writer = new WarmHandler(handlerBundle('backfill'), env, WRITE_MANIFESTS_HANDLER);
  summarizer = new WarmHandler(handlerBundle('backfill'), env, SUMMARIZE_HANDLER);
}, 60_000);

afterAll(async () => {
  await writer?.stop();
  await summarizer?.stop();
  await proxy?.stop();
  await s3?.stop();
});

async function putAll(keys: string[], body: string | Buffer = 'jpeg', concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < keys.length) await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[next++], Body: body }));
  }));
}

async function read(key: string): Promise<string> {
  return (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

/** One run of the workflow, checking each child's input stays within Step Functions' limit. */
async function runBackfill(runId: string): Promise<{ outputs: any[]; summary: any }> {
  const run = await runBackfillMap({
    s3: s3.client, bucket: BUCKET, prefix: 'photos/', maxItems: MAX_IMAGES, resultBucket: BUCKET, resultPrefix: `${MANIFEST_FOLDER}runs`, writer, summarizer,
  }, runId);
  for (const batch of run.batches) expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(MAX_BATCH_INPUT_BYTES);
  expect(run.outputs.filter((output) => output?.error)).toEqual([]);
  expect(run.summary?.error).toBeUndefined();
  return run;
}

async function listItems(prefix: string) {
  return listStoredItems(s3.client, BUCKET, prefix);
}

describe('a backfill of stored objects over a local S3 server', () => {
  const images = Array.from({ length: IMAGES }, (_, index) => `photos/${String(index).padStart(6, '0')}.jpg`);
  // A 1,024-character key, in folders (s3rver stores keys as file paths of at most 255 characters a name).
  const long = `photos/${['a', 'b', 'c', 'd'].map((letter) => letter.repeat(200)).join('/')}/${'e'.repeat(1024 - 'photos/'.length - 804 - 4)}.jpg`;
  const unusual = ['photos/a cat+dog.JPG', 'photos/ünïcödé/猫.png', 'photos/(1) ~tilde=eq.jpeg', long];
  let first: { outputs: any[]; summary: any };

  test(`${IMAGES} stored images (and bad ones) -> manifests of at most maxImagesPerManifest images, each image once, skips reported`, async () => {
    // GIVEN
    expect(long).toHaveLength(1024);
    await putAll(images);
    await putAll(unusual, 'png');
    await putAll(['photos/notes.txt'], 'text');
    await putAll(['photos/empty.jpg'], '');
    await putAll(['photos/huge.JPG'], Buffer.alloc(20 * 1024 * 1024, 1));
    await putAll(['elsewhere/outside.jpg']);

    // WHEN
    first = await runBackfill('run-1');

    // THEN
    const listedTotal = IMAGES + unusual.length + 3;
    expect(first.summary).toEqual({
      objectsListed: listedTotal,
      images: IMAGES + unusual.length,
      imagesQueued: IMAGES + unusual.length,
      imagesSkipped: 3,
      manifestsWritten: first.outputs.length,
      manifestsExisting: 0,
      objectsIgnored: 0,
      batches: first.outputs.length,
    });
    const keys = (await listItems(MANIFEST_FOLDER)).map((item) => item.Key);
    const manifests = keys.filter((key) => key.endsWith('.jsonl'));
    expect(manifests).toHaveLength(Math.ceil(listedTotal / MAX_IMAGES));
    const refs: string[] = [];
    for (const key of manifests) {
      const lines = (await read(key)).trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(MAX_IMAGES);
      refs.push(...lines.map((line) => JSON.parse(line)['source-ref']));
    }
    expect(new Set(refs).size).toBe(refs.length);
    expect(refs.sort()).toEqual([...images, ...unusual].map((key) => `s3://${BUCKET}/${key}`).sort());

    const reports = await Promise.all(keys.filter((key) => key.endsWith('.skipped.json')).map(async (key) => JSON.parse(await read(key))));
    const skipped = reports.flatMap((report) => report.skipped.map((object: any) => [object.key, object.reason, object.size]));
    expect(skipped.sort()).toEqual([
      ['photos/empty.jpg', 'empty', 0],
      ['photos/huge.JPG', 'too-large', 20 * 1024 * 1024],
      ['photos/notes.txt', 'not-an-image', 4],
    ]);
    // Every file was created once.
    expect(new Set(created).size).toBe(created.length);
  }, 300_000);

  test('a second run over the same objects writes nothing new: every manifest already exists', async () => {
    // GIVEN
    const createdBefore = created.filter((key) => !key.includes('/runs/')).length;
    const refusedBefore = proxy.refused.length;

    // WHEN
    const second = await runBackfill('run-2');

    // THEN
    expect(second.summary).toMatchObject({ images: first.summary.images, imagesQueued: 0, manifestsWritten: 0, manifestsExisting: first.summary.manifestsWritten });
    expect(second.outputs.map((output) => output.batch)).toEqual(first.outputs.map((output) => output.batch));
    expect(created.filter((key) => !key.includes('/runs/'))).toHaveLength(createdBefore);
    // Claims, manifests and skip reports were refused by the create-only PUT, not rewritten.
    expect(proxy.refused.length - refusedBefore).toBe(first.summary.images + first.summary.manifestsWritten + 1);
  }, 300_000);

  test('a changed object is in a batch of a new name: its manifest holds only that object, the unchanged ones of its batch were claimed by the first run', async () => {
    // GIVEN
    await putAll(['photos/000001.jpg'], 'a new picture');

    // WHEN
    const third = await runBackfill('run-3');

    // THEN one new manifest, with the one changed image: the others of its batch are not paid for again
    expect(third.summary).toMatchObject({ manifestsWritten: 1, imagesQueued: 1, manifestsExisting: first.summary.manifestsWritten - 1 });
    expect(third.summary.imagesSkipped).toBe(first.summary.imagesSkipped + MAX_IMAGES - 1);
    const changed = third.outputs.find((output) => !first.outputs.some((earlier: { batch: string }) => earlier.batch === output.batch))!;
    expect((await read(`${MANIFEST_FOLDER}${changed.batch}.jsonl`)).trimEnd().split('\n')).toEqual([JSON.stringify({ 'source-ref': `s3://${BUCKET}/photos/000001.jpg` })]);
    const report = JSON.parse(await read(`${MANIFEST_FOLDER}${changed.batch}.skipped.json`));
    expect(report.skipped.filter((object: { reason: string }) => object.reason === 'already-queued')).toHaveLength(MAX_IMAGES - 1);
  }, 300_000);

  test('a batch that crashed halfway (skip report written, manifest not) writes only its manifest when run again', async () => {
    // GIVEN: the batch with the skipped objects, as a crash between its two PUTs leaves it.
    const withSkips = first.outputs.find((output) => output.imagesSkipped > 0);
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${MANIFEST_FOLDER}${withSkips.batch}.jsonl` }));
    const refusedBefore = proxy.refused.length;

    // WHEN
    const again = await runBackfill('run-4');

    // THEN
    // (the run's skips also count the 999 unchanged objects of the changed object's batch, claimed by the first run)
    expect(again.summary).toMatchObject({ manifestsWritten: 1, imagesQueued: withSkips.images, imagesSkipped: 3 + MAX_IMAGES - 1 });
    // Its skip report was refused (written before the crash), like that of the changed object's batch (run 3).
    const refusedReports = proxy.refused.slice(refusedBefore).filter((path) => path.endsWith('.skipped.json'));
    expect(refusedReports).toHaveLength(2);
    expect(refusedReports).toContain(`/${BUCKET}/${MANIFEST_FOLDER}${withSkips.batch}.skipped.json`);
  }, 300_000);
});
