import { decodeS3Key, parseS3EventBody } from '../../../lambda/trigger/s3-event';
import { encodeS3EventKey, s3EventRecord, TEST_EVENT_BODY } from '../../support/sqs-s3-events';

function body(...records: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Records: records });
}

describe('parseS3EventBody', () => {
  test('reads bucket, decoded key, version and event name of an ObjectCreated notification', () => {
    const parsed = parseS3EventBody(body(s3EventRecord({ bucket: 'in', key: 'a/b.jsonl', versionId: 'v1', sequencer: '01', eventName: 'ObjectCreated:CompleteMultipartUpload' })));

    expect(parsed).toEqual({
      kind: 'manifests',
      manifests: [{ manifest: { bucket: 'in', key: 'a/b.jsonl', version: 'v1' }, revision: 'v:v1', eventName: 'ObjectCreated:CompleteMultipartUpload' }],
      ignored: [],
    });
  });

  test.each([
    ['spaces', 'my manifests/batch 1.jsonl'],
    ['plus signs', 'a+b/c+d.jsonl'],
    ['percent signs', '100%/50%25.jsonl'],
    ['unicode', 'entrée/画像 😀.jsonl'],
    ['1,024 characters', 'k'.repeat(1024)],
  ])('decodes a key with %s exactly as it was uploaded', (_, key) => {
    const parsed = parseS3EventBody(body(s3EventRecord({ key, sequencer: '01' })));

    expect(parsed.kind === 'manifests' && parsed.manifests[0].manifest.key).toBe(key);
  });

  test('identifies an upload to an unversioned bucket by its sequencer', () => {
    const parsed = parseS3EventBody(body(s3EventRecord({ sequencer: '0065A1', eTag: 'abc' })));

    expect(parsed.kind === 'manifests' && parsed.manifests[0]).toMatchObject({ revision: 's:0065A1', manifest: { key: 'manifests/batch-1.jsonl' } });
    expect(parsed.kind === 'manifests' && parsed.manifests[0].manifest).not.toHaveProperty('version');
  });

  test('falls back to the eTag when there is neither version nor sequencer', () => {
    const parsed = parseS3EventBody(body(s3EventRecord({ eTag: 'abc' })));

    expect(parsed.kind === 'manifests' && parsed.manifests[0].revision).toBe('e:abc');
  });

  test("treats the version 'null' of a suspended-versioning bucket as no version", () => {
    const parsed = parseS3EventBody(body(s3EventRecord({ versionId: 'null', sequencer: '02' })));

    expect(parsed.kind === 'manifests' && parsed.manifests[0]).toMatchObject({ revision: 's:02' });
    expect(parsed.kind === 'manifests' && parsed.manifests[0].manifest).not.toHaveProperty('version');
  });

  test('keeps the ObjectCreated records of a body and names the ones it ignores', () => {
    const parsed = parseS3EventBody(body(
      s3EventRecord({ eventName: 'ObjectRemoved:Delete', key: 'gone.jsonl', sequencer: '01' }),
      s3EventRecord({ key: 'new.jsonl', sequencer: '02' }),
    ));

    expect(parsed.kind).toBe('manifests');
    expect(parsed.kind === 'manifests' && parsed.manifests.map((event) => event.manifest.key)).toEqual(['new.jsonl']);
    expect(parsed.kind === 'manifests' && parsed.ignored).toEqual(['Records[0]: ObjectRemoved:Delete is not an ObjectCreated event']);
  });

  test.each([
    ['the s3:TestEvent sent when the notification is configured', TEST_EVENT_BODY, /s3:TestEvent/],
    ['malformed JSON', '{"Records": [', /not JSON/],
    ['a JSON value that is not an object', '[1, 2]', /not a JSON object/],
    ['a message from another source', JSON.stringify({ Type: 'Notification', Message: 'hello' }), /no Records/],
    ['only ObjectRemoved events', body(s3EventRecord({ eventName: 'ObjectRemoved:Delete', sequencer: '01' })), /not an ObjectCreated event/],
    ['a record from another service', body({ eventSource: 'aws:dynamodb', eventName: 'INSERT' }), /not an S3 record/],
    ['a record without bucket or key', body({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: {} }), /no s3.bucket.name/],
    ['a key that is not URL-encoded', body({ ...s3EventRecord({ sequencer: '01' }), s3: { bucket: { name: 'b' }, object: { key: '100%.jsonl', sequencer: '01' } } }), /not URL-encoded/],
    ['no way to tell the upload apart', body(s3EventRecord({})), /no versionId, sequencer or eTag/],
    ['an empty Records list', body(), /no Records/],
  ])('skips %s with a reason', (_, text, reason) => {
    const parsed = parseS3EventBody(text);

    expect(parsed.kind).toBe('skip');
    expect(parsed.kind === 'skip' && parsed.reason).toMatch(reason);
  });
});

describe('decodeS3Key', () => {
  test("turns '+' into a space and decodes percent escapes", () => {
    expect(decodeS3Key('my+batch%2B1+100%25+%F0%9F%98%80.jsonl')).toBe('my batch+1 100% 😀.jsonl');
  });

  test('inverts the encoding S3 applies to event keys', () => {
    const key = 'a b+c%d/é😀';

    expect(decodeS3Key(encodeS3EventKey(key))).toBe(key);
  });
});
