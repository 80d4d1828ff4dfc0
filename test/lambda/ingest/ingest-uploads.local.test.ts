import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { handlerBundle } from '../../support/bundled-handler';
import type { JsonProtocolDouble } from '../../support/json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS } from '../../support/local-s3';
import { asS3Notification } from '../../support/local-aws/bucket-notifications';
import { startConditionalPutProxy, type ConditionalPutProxy } from '../../support/local-aws/conditional-put-proxy';
import { drainToBatcher, eventSourceBatch as nextEventSourceBatch, startBatcherSqsDouble } from '../../support/local-aws/ingest-event-source';
import { LocalQueue } from '../../support/local-aws/local-queue';
import { startS3ServerWithEvents, type S3rverNotification, type S3ServerWithEvents } from '../../support/local-aws/s3-server';
import { WarmHandler } from '../../support/local-aws/warm-handler';

/**
 * Uploads -> S3 events -> queue -> the bundled batcher -> manifests, over s3rver (behind a proxy
 * that adds S3's create-only PUT) and a local SQS queue. The event source is simulated as Lambda
 * runs it: batches of up to 10,000 records within its 6 MB payload.
 */

const BUCKET = 'input';
/** s3rver stores an object as files: 25,000 uploads take minutes here, so a few thousand, with smaller manifests. */
const IMAGES = Number(process.env.INGEST_LOCAL_IMAGES ?? 3_000);
const MAX_IMAGES = Number(process.env.INGEST_LOCAL_MAX_IMAGES ?? 1_000);
const VISIBILITY_SECONDS = 1800;

let s3: S3ServerWithEvents;
let proxy: ConditionalPutProxy;
let sqs: JsonProtocolDouble;
let queue: LocalQueue;
let batcher: WarmHandler;
let now = Date.parse('2026-01-01T00:00:00Z');
/** Keys of the manifests and skip reports as s3rver announced their creation, in order. */
const written: string[] = [];

beforeAll(async () => {
  s3 = await startS3ServerWithEvents([BUCKET]);
  proxy = await startConditionalPutProxy(s3.url);
  queue = new LocalQueue({ name: 'uploads', arn: 'arn:aws:sqs:us-east-1:111122223333:uploads', url: 'https://sqs.us-east-1.amazonaws.com/111122223333/uploads', clock: { now: () => now }, visibilityTimeoutSeconds: VISIBILITY_SECONDS });
  sqs = await startBatcherSqsDouble(queue);
  s3.onNotification((notification: S3rverNotification) => {
    const key = notification.Records[0].s3.object.key;
    if (key.startsWith('uploads/')) queue.send(asS3Notification(notification));
    if (key.startsWith('manifests/')) written.push(key);
  });
  batcher = new WarmHandler(handlerBundle('ingest'), {
    ...LOCAL_S3_CLIENT_ENV,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: proxy.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    S3_FORCE_PATH_STYLE: 'true',
    QUEUE_URL: queue.options.url,
    IMAGE_BUCKET: BUCKET,
    IMAGE_PREFIX: 'uploads/',
    MANIFEST_BUCKET: BUCKET,
    MANIFEST_FOLDER: 'manifests/ingest/',
    MANIFEST_SUFFIX: '.jsonl',
    MAX_IMAGES_PER_MANIFEST: String(MAX_IMAGES),
  });
}, 60_000);

afterAll(async () => {
  await batcher?.stop();
  await sqs?.stop();
  await proxy?.stop();
  await s3?.stop();
});

async function put(key: string, body: string | Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function putAll(keys: string[], concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < keys.length) await put(keys[next++], 'jpeg');
  }));
}

/**
 * The events here are smaller than S3's, so a cap of 300 records a batch stands in for the payload
 * limit that makes the batcher fill its batch from the queue itself.
 */
function eventSourceBatch(max = Math.min(300, MAX_IMAGES)): SQSRecord[] {
  return nextEventSourceBatch(queue, max);
}

/** Invokes the batcher until the queue is empty; returns the invocations' replies. */
function drain(): Promise<unknown[]> {
  return drainToBatcher(queue, batcher, Math.min(300, MAX_IMAGES));
}

async function read(key: string): Promise<string> {
  return (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
}

/** The objects directly in a folder (the batcher's claims are in a folder of their own). */
async function list(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

describe('image uploads -> manifests over a local S3 server', () => {
  test(`${IMAGES} uploads (and bad ones, and duplicate events) -> manifests of at most maxImagesPerManifest images, each image once, skips reported`, async () => {
    // GIVEN
    const images = Array.from({ length: IMAGES }, (_, index) => `uploads/${String(index).padStart(6, '0')}.jpg`);
    // A 1,024-character key, in folders (s3rver stores keys as file paths of at most 255 characters a name).
    const long = `uploads/${['a', 'b', 'c', 'd'].map((letter) => letter.repeat(200)).join('/')}/${'e'.repeat(1024 - 'uploads/'.length - 804 - 4)}.jpg`;
    expect(long).toHaveLength(1024);
    const unusual = ['uploads/a cat+dog.JPG', 'uploads/ünïcödé/猫.png', long];
    const uploadStart = Date.now();
    await putAll(images);
    for (const key of unusual) await put(key, 'png');
    await put('uploads/notes.txt', 'text');
    await put('uploads/empty.jpg', '');
    await put('uploads/huge.jpg', Buffer.alloc(20 * 1024 * 1024, 1));
    await put('uploads/deleted.jpg', 'jpeg');
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'uploads/deleted.jpg' }));
    // S3 delivers at least once: 100 events arrive twice, each right after the first delivery. (A
    // duplicate that lands in another batch is in two manifests: see the README's limits.)
    for (let index = 0; index < 200; index += 2) {
      queue.send(queue.messages[index].body);
      queue.messages.splice(index + 1, 0, queue.messages.pop()!);
    }

    // WHEN
    const started = Date.now();
    console.log(`ingest.local: uploads took ${((started - uploadStart) / 1000).toFixed(1)} s`);
    const replies = await drain();
    const seconds = (Date.now() - started) / 1000;

    // THEN
    expect(replies.filter((reply: any) => reply?.error)).toEqual([]);
    // Each invocation filled its batch from the queue: one manifest per invocation.
    expect(replies).toHaveLength(Math.ceil((IMAGES + unusual.length) / MAX_IMAGES));
    expect(queue.messages).toHaveLength(0);
    const manifests = (await list('manifests/ingest/')).filter((key) => key.endsWith('.jsonl'));
    expect(manifests).toHaveLength(Math.ceil((IMAGES + unusual.length) / MAX_IMAGES));
    const lines: string[] = [];
    for (const key of manifests) {
      const body = await read(key);
      const manifestLines = body.trimEnd().split('\n');
      expect(manifestLines.length).toBeLessThanOrEqual(MAX_IMAGES);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(50 * 1024 * 1024);
      lines.push(...manifestLines);
    }
    const refs = lines.map((line) => JSON.parse(line)['source-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    expect(refs.sort()).toEqual([...images, ...unusual].map((key) => `s3://${BUCKET}/${key}`).sort());

    const reports = await Promise.all((await list('manifests/ingest/')).filter((key) => key.endsWith('.skipped.json')).map(async (key) => JSON.parse(await read(key))));
    const skipped = reports.flatMap((report) => report.skipped.map((object: any) => [object.key, object.reason]));
    expect(skipped.sort()).toEqual([
      ['uploads/deleted.jpg', 'not-found'],
      ['uploads/empty.jpg', 'empty'],
      ['uploads/huge.jpg', 'too-large'],
      ['uploads/notes.txt', 'not-an-image'],
    ]);
    // Each file was created once: no manifest was written twice (a second write is a second job).
    expect(new Set(written).size).toBe(written.length);
    console.log(`ingest.local: ${IMAGES} images -> ${manifests.length} manifests in ${replies.length} invocations, ${seconds.toFixed(1)} s`);
  }, 240_000);

  test('a crash between writing the manifest and acknowledging: the retry rewrites nothing and acknowledges', async () => {
    // GIVEN
    const keys = Array.from({ length: 50 }, (_, index) => `uploads/crash/${index}.png`);
    await putAll(keys);
    const before = written.length;
    const records = eventSourceBatch(100);
    expect(records).toHaveLength(50);

    // WHEN the batcher writes the manifest, then dies before Lambda deletes the records
    await batcher.invoke({ Records: records });
    const manifest = written.slice(before).find((key) => key.endsWith('.jsonl'));
    expect(manifest).toBeDefined();
    const claims = written.slice(before).filter((key) => key.includes('/claims/'));
    expect(claims).toHaveLength(50);
    // ... and the records come back after the visibility timeout
    now += VISIBILITY_SECONDS * 1000;
    const replies = await drain();

    // THEN
    expect(replies).toHaveLength(1);
    expect(queue.messages).toHaveLength(0);
    expect(proxy.refused).toContain(`/${BUCKET}/${manifest}`);
    // The retry found its own claims (refused, read back) and the manifest: it wrote nothing new.
    expect(written.slice(before)).toEqual([...claims, manifest]);
    for (const claim of claims) expect(proxy.refused).toContain(`/${BUCKET}/${claim}`);
    expect((await read(manifest!)).trimEnd().split('\n')).toHaveLength(50);
  });
});
