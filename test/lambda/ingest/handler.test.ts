import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambda/ingest';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { s3EventBody, sqsEvent, sqsRecord, TEST_EVENT_BODY } from '../../support/sqs-s3-events';

const BUCKET = 'photo-bucket';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/image-uploads';
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
let logs: CapturedLogs;

/** Current versions and sizes of the objects in the bucket, as HeadObject answers. */
let objects: Map<string, { size: number; version?: string }>;
/** Claims written (key -> the message id they hold), create-only as S3 keeps them. */
let claims: Map<string, string>;

function preconditionFailed(): S3ServiceException {
  return new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });
}

beforeAll(() => {
  Object.assign(process.env, {
    QUEUE_URL: QUEUE,
    IMAGE_BUCKET: BUCKET,
    IMAGE_PREFIX: 'uploads/',
    MANIFEST_BUCKET: 'manifest-bucket',
    MANIFEST_FOLDER: 'manifests/ingest/',
    MANIFEST_SUFFIX: '.jsonl',
    MAX_IMAGES_PER_MANIFEST: '10',
  });
});

beforeEach(() => {
  logs = captureLogs();
  s3.reset();
  sqs.reset();
  objects = new Map();
  s3.on(HeadObjectCommand).callsFake(({ Key }) => {
    const object = objects.get(Key);
    if (!object) throw new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'Not Found' });
    return { ContentLength: object.size, VersionId: object.version };
  });
  claims = new Map();
  s3.on(PutObjectCommand).callsFake(({ Key, Body, IfNoneMatch }) => {
    if (!Key.includes('/claims/')) return {};
    if (IfNoneMatch === '*' && claims.has(Key)) throw preconditionFailed();
    claims.set(Key, String(Body));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(({ Key }) => ({ Body: { transformToString: async () => claims.get(Key) ?? '' } }));
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [] });
});

afterEach(() => logs.restore());

/** An upload's message: the object exists with `size` bytes unless `exists` is false. */
function upload(key: string, options: { size?: number; version?: string; exists?: boolean; messageId?: string } = {}) {
  if (options.exists !== false) objects.set(key, { size: options.size ?? 1000, version: options.version });
  return sqsRecord(s3EventBody({ bucket: BUCKET, key, versionId: options.version, sequencer: `00${key.length}` }), { messageId: options.messageId ?? key });
}

/** What the batch wrote beside its claims: manifests, skip reports, image-versions files. */
function puts(): Array<{ Key: string; Body: string; IfNoneMatch?: string }> {
  return s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input as any).filter((put) => !put.Key.includes('/claims/'));
}

function manifestPuts(): Array<{ Key: string; Body: string; IfNoneMatch?: string }> {
  return puts().filter((put) => put.Key.endsWith('.jsonl'));
}

function manifestLines(): string[] {
  return manifestPuts().flatMap((put) => put.Body.trimEnd().split('\n'));
}

describe('ingest handler', () => {
  test('writes one manifest of the batch\'s images, sorted, named after its contents, create-only', async () => {
    // WHEN
    await handler(sqsEvent(upload('uploads/b.jpg'), upload('uploads/a.png'), upload('uploads/c.jpeg')));

    // THEN
    const [manifest] = puts();
    expect(manifest).toMatchObject({ Bucket: 'manifest-bucket', Key: expect.stringMatching(/^manifests\/ingest\/[0-9a-f]{32}\.jsonl$/), IfNoneMatch: '*' });
    expect(manifest.Body).toBe([
      '{"source-ref":"s3://photo-bucket/uploads/a.png"}',
      '{"source-ref":"s3://photo-bucket/uploads/b.jpg"}',
      '{"source-ref":"s3://photo-bucket/uploads/c.jpeg"}',
      '',
    ].join('\n'));
    expect(puts()).toHaveLength(1);
  });

  test('the same uploads in another order, or with a duplicate event beside them, give the same manifest key and lines', async () => {
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v1' }), upload('uploads/b.jpg', { version: 'v1' })));
    const first = manifestPuts()[0];
    s3.resetHistory();

    await handler(sqsEvent(upload('uploads/b.jpg', { version: 'v1' }), upload('uploads/a.jpg', { version: 'v1', messageId: 'dup-1' }), upload('uploads/a.jpg', { version: 'v1' })));

    expect(manifestPuts()[0].Key).toBe(first.Key);
    expect(manifestLines()).toEqual(['{"source-ref":"s3://photo-bucket/uploads/a.jpg"}', '{"source-ref":"s3://photo-bucket/uploads/b.jpg"}']);
  });

  test('a new version of an image is moderated again: another manifest key', async () => {
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v1' })));
    const first = manifestPuts()[0].Key;
    s3.resetHistory();
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v2' })));
    expect(manifestPuts()[0].Key).not.toBe(first);
    expect(manifestLines()).toEqual(['{"source-ref":"s3://photo-bucket/uploads/a.jpg"}']);
  });

  test('in a versioned bucket, the version of each line is written beside the manifest, before it, create-only', async () => {
    // GIVEN one event naming its version, one without (HeadObject tells it), one object of an unversioned era
    const withoutVersionId = sqsRecord(s3EventBody({ bucket: BUCKET, key: 'uploads/b.jpg', sequencer: '0011' }), { messageId: 'b' });
    objects.set('uploads/b.jpg', { size: 1000, version: 'vb' });

    // WHEN
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'va' }), withoutVersionId, upload('uploads/c.jpg', { version: 'null' })));

    // THEN
    const [versions, manifest] = puts();
    expect(versions).toMatchObject({ Key: `${manifest.Key}.image-versions.json`, IfNoneMatch: '*' });
    expect(JSON.parse(versions.Body)).toEqual({
      version: '1',
      manifest: `s3://manifest-bucket/${manifest.Key}`,
      images: { 's3://photo-bucket/uploads/a.jpg': 'va', 's3://photo-bucket/uploads/b.jpg': 'vb' },
    });
  });

  test('an unversioned bucket gets no image-versions file', async () => {
    await handler(sqsEvent(upload('uploads/a.jpg')));
    expect(puts().map((put) => put.Key)).toEqual([expect.stringMatching(/\.jsonl$/)]);
  });

  test('a retried batch whose manifest exists (412) leaves it as it is and succeeds', async () => {
    // GIVEN the manifest (and the claim of its image, by this same message) written before a crash
    await handler(sqsEvent(upload('uploads/a.jpg')));
    s3.on(PutObjectCommand).rejects(preconditionFailed());

    // WHEN
    await expect(handler(sqsEvent(upload('uploads/a.jpg')))).resolves.toBeUndefined();

    // THEN
    expect(logs.lines().filter((line) => line.message === 'batch written').pop()).toMatchObject({ alreadyWritten: [expect.stringMatching(/\.jsonl$/)] });
  });

  test('a duplicate S3 event in a later batch adds no second line: the upload was claimed by the first batch\'s message', async () => {
    // GIVEN the first batch wrote a manifest with the image
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v1', messageId: 'first' }), upload('uploads/b.jpg', { version: 'v1', messageId: 'other' })));
    const first = manifestPuts();
    expect(first).toHaveLength(1);

    // WHEN a second delivery of a.jpg's event comes in another batch
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v1', messageId: 'second' })));

    // THEN no manifest names it again; the skip report says why
    expect(manifestPuts()).toHaveLength(1);
    const report = puts().find((put) => put.Key.endsWith('.skipped.json'))!;
    expect(JSON.parse(report.Body).skipped).toEqual([{ bucket: BUCKET, key: 'uploads/a.jpg', version: 'v1', reason: 'duplicate-event' }]);
  });

  test('a new version of an image is claimed anew and moderated again', async () => {
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v1', messageId: 'first' })));
    await handler(sqsEvent(upload('uploads/a.jpg', { version: 'v2', messageId: 'second' })));

    expect(manifestPuts()).toHaveLength(2);
    expect(puts().filter((put) => put.Key.endsWith('.skipped.json'))).toEqual([]);
  });

  test('a batch retried after a crash finds its images claimed by its own messages, whichever delivery comes first, and writes the same manifest', async () => {
    // GIVEN a batch with two deliveries of one upload crashed after claiming
    const duplicateA = upload('uploads/a.jpg', { version: 'v1', messageId: 'm-2' });
    const duplicateB = upload('uploads/a.jpg', { version: 'v1', messageId: 'm-1' });
    s3.on(PutObjectCommand).callsFake(({ Key, Body, IfNoneMatch }) => {
      if (!Key.includes('/claims/')) throw new Error('crash before the manifest');
      if (IfNoneMatch === '*' && claims.has(Key)) throw preconditionFailed();
      claims.set(Key, String(Body));
      return {};
    });
    await expect(handler(sqsEvent(duplicateA, duplicateB))).rejects.toThrow('crash before the manifest');
    s3.on(PutObjectCommand).callsFake(({ Key, Body, IfNoneMatch }) => {
      if (!Key.includes('/claims/')) return {};
      if (IfNoneMatch === '*' && claims.has(Key)) throw preconditionFailed();
      claims.set(Key, String(Body));
      return {};
    });

    // WHEN SQS hands the messages back in the other order
    await handler(sqsEvent(duplicateB, duplicateA));

    // THEN the image is in the manifest, once
    expect(manifestLines()).toEqual([JSON.stringify({ 'source-ref': `s3://${BUCKET}/uploads/a.jpg` })]);
  });

  test('skipped objects are reported, before the manifest, never silently dropped', async () => {
    // GIVEN
    const records = [
      upload('uploads/ok.JPG'),
      upload('uploads/notes.txt'),
      upload('uploads/empty.png', { size: 0 }),
      upload('uploads/huge.jpg', { size: 20 * 1024 * 1024 }),
      upload('uploads/limit.jpg', { size: 15 * 1024 * 1024 }),
      upload('uploads/deleted.jpg', { exists: false }),
      upload('uploads/replaced.jpg', { version: 'old' }),
    ];
    objects.set('uploads/replaced.jpg', { size: 10, version: 'new' });

    // WHEN
    await handler(sqsEvent(...records));

    // THEN
    const [report, manifest] = puts();
    expect(report.Key).toBe(manifest.Key.replace(/\.jsonl$/, '.skipped.json'));
    expect(JSON.parse(report.Body)).toEqual({
      version: '1',
      batch: manifest.Key.slice('manifests/ingest/'.length, -'.jsonl'.length),
      manifests: [`s3://manifest-bucket/${manifest.Key}`],
      images: 2,
      skipped: [
        { bucket: BUCKET, key: 'uploads/deleted.jpg', reason: 'not-found' },
        { bucket: BUCKET, key: 'uploads/empty.png', reason: 'empty', size: 0 },
        { bucket: BUCKET, key: 'uploads/huge.jpg', reason: 'too-large', size: 20 * 1024 * 1024 },
        { bucket: BUCKET, key: 'uploads/notes.txt', reason: 'not-an-image' },
        { bucket: BUCKET, key: 'uploads/replaced.jpg', version: 'old', reason: 'superseded' },
      ],
    });
    expect(manifestLines()).toEqual(['{"source-ref":"s3://photo-bucket/uploads/limit.jpg"}', '{"source-ref":"s3://photo-bucket/uploads/ok.JPG"}']);
    // A non-image is never looked at.
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).not.toContain('uploads/notes.txt');
  });

  test('a batch of nothing but skipped objects writes only its skip report', async () => {
    await handler(sqsEvent(upload('uploads/a.gif'), upload('uploads/b.jpg', { exists: false })));
    expect(puts().map((put) => put.Key)).toEqual([expect.stringMatching(/^manifests\/ingest\/[0-9a-f]{32}\.skipped\.json$/)]);
    expect(JSON.parse(puts()[0].Body)).toMatchObject({ manifests: [], images: 0 });
  });

  test('keys are URL-decoded: spaces (+), a literal +, unicode, 1,024 characters', async () => {
    const long = `uploads/${'k'.repeat(1024 - 'uploads/'.length - 4)}.jpg`;
    await handler(sqsEvent(upload('uploads/a cat+dog.jpg'), upload('uploads/ünï/猫.png'), upload(long)));
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual([long, 'uploads/a cat+dog.jpg', 'uploads/ünï/猫.png'].sort());
    expect(manifestLines().map((line) => JSON.parse(line)['source-ref']).sort()).toEqual([
      `s3://${BUCKET}/${long}`, `s3://${BUCKET}/uploads/a cat+dog.jpg`, `s3://${BUCKET}/uploads/ünï/猫.png`,
    ].sort());
  });

  test('fills the batch from the queue up to maxImagesPerManifest and deletes what it received itself, after the manifest', async () => {
    // GIVEN 3 records from the event source, 9 more waiting in the queue; the manifest takes 10.
    const waiting = Array.from({ length: 9 }, (_, index) => upload(`uploads/q${index}.jpg`));
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake(({ MaxNumberOfMessages }) => {
      const messages = waiting.slice(next, next + MaxNumberOfMessages).map((record) => ({ MessageId: record.messageId, ReceiptHandle: record.receiptHandle, Body: record.body }));
      next += messages.length;
      return { Messages: messages };
    });

    // WHEN
    await handler(sqsEvent(upload('uploads/e0.jpg'), upload('uploads/e1.jpg'), upload('uploads/e2.jpg')));

    // THEN
    expect(manifestLines()).toHaveLength(10);
    const deleted = sqs.commandCalls(DeleteMessageBatchCommand).flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.ReceiptHandle));
    expect(deleted.sort()).toEqual(waiting.slice(0, 7).map((record) => record.receiptHandle).sort());
    expect(next).toBe(7);
  });

  test('an object that cannot be checked fails the whole batch: nothing written, nothing deleted', async () => {
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' }));
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm2', ReceiptHandle: 'r2', Body: s3EventBody({ bucket: BUCKET, key: 'uploads/x.jpg' }) }] }).resolves({ Messages: [] });
    await expect(handler(sqsEvent(upload('uploads/a.jpg')))).rejects.toThrow(/reduce your request rate/);
    expect(puts()).toEqual([]);
    expect(sqs).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
  });

  test('test events and events of other buckets or prefixes are acknowledged without a manifest', async () => {
    await handler(sqsEvent(
      sqsRecord(TEST_EVENT_BODY, { messageId: 't' }),
      sqsRecord(s3EventBody({ bucket: 'other', key: 'uploads/a.jpg' }), { messageId: 'o' }),
      sqsRecord(s3EventBody({ bucket: BUCKET, key: 'elsewhere/a.jpg' }), { messageId: 'p' }),
    ));
    expect(puts()).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(HeadObjectCommand);
    expect(logs.lines().find((line) => line.message === 'messages ignored')).toMatchObject({ count: 3 });
  });
});
