import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MANIFEST_MAX_BYTES, MANIFEST_MAX_LINES, validateManifest } from '../../../lambda/common/manifest-validation';

const line = (bucket: string, key: string) => `{"source-ref":"s3://${bucket}/${key}"}`;
const manifest = (...lines: string[]) => lines.join('\n') + '\n';
const body = (text: string) => Readable.from([Buffer.from(text, 'utf8')]);

/**
 * `count` lines of exactly `lineBytes` bytes each (newline included), made one chunk at a time:
 * keys of up to 1,000 bytes, then a "meta" field pads the line (keys cannot pass 1,024 bytes).
 */
function generated(count: number, lineBytes: number, bucket = 'images-bucket'): { body: Readable; bytes: number; pulled: () => number } {
  let pulled = 0;
  const frame = `{"source-ref":"s3://${bucket}/.jpg","meta":""}\n`.length;
  const keyLength = Math.min(1000, lineBytes - frame);
  function* chunks() {
    const perChunk = Math.max(1, Math.floor(64 * 1024 / lineBytes));
    for (let start = 0; start < count; start += perChunk) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(count, start + perChunk); i++) {
        const key = `${i}/`.padEnd(keyLength, 'k');
        lines.push(`{"source-ref":"s3://${bucket}/${key}.jpg","meta":"${'m'.repeat(lineBytes - frame - keyLength)}"}\n`);
      }
      pulled += lines.length;
      yield Buffer.from(lines.join(''), 'utf8');
    }
  }
  return { body: Readable.from(chunks()), bytes: count * lineBytes, pulled: () => pulled };
}

/** A body that records whether it was ever read. */
function untouchedBody(): { body: Readable; read: () => boolean } {
  let read = false;
  const stream = new Readable({
    read() {
      read = true;
      this.push(null);
    },
  });
  return { body: stream, read: () => read };
}

describe('validateManifest verdicts', () => {
  test('is ok for a clean manifest, with its statistics', async () => {
    const text = manifest(line('images-bucket', 'a.jpg'), line('images-bucket', 'b.PNG'));

    const result = await validateManifest(body(text), { contentLength: Buffer.byteLength(text), allowedBuckets: ['images-bucket'] });

    expect(result).toEqual({
      verdict: 'ok',
      totalLines: 2,
      validLines: 2,
      invalidLines: 0,
      bytes: Buffer.byteLength(text),
      complete: true,
      errors: [],
      errorCount: 0,
    });
  });

  test('warns about every problem line with its number, code and source-ref, and still accepts the manifest', async () => {
    const text = manifest(
      line('images-bucket', 'a.jpg'),
      '',
      'cats/1.jpg',
      '[1]',
      '{"path":"s3://images-bucket/b.jpg"}',
      '{"source-ref":"https://example.com/c.jpg"}',
      line('images-bucket', 'd.gif'),
      line('images-bucket', 'e.jpeg'),
    );

    const result = await validateManifest(body(text), { allowedBuckets: ['images-bucket'] });

    expect(result).toMatchObject({ verdict: 'warnings', totalLines: 8, validLines: 2, invalidLines: 6, errorCount: 6, complete: true });
    expect(result.rejectReason).toBeUndefined();
    expect(result.errors.map(({ lineNumber, code, sourceRef }) => ({ lineNumber, code, sourceRef }))).toEqual([
      { lineNumber: 2, code: 'EMPTY_LINE', sourceRef: null },
      { lineNumber: 3, code: 'NOT_JSON', sourceRef: null },
      { lineNumber: 4, code: 'NOT_AN_OBJECT', sourceRef: null },
      { lineNumber: 5, code: 'NO_SOURCE_REF', sourceRef: null },
      { lineNumber: 6, code: 'BAD_SOURCE_REF', sourceRef: null },
      { lineNumber: 7, code: 'NOT_AN_IMAGE', sourceRef: 's3://images-bucket/d.gif' },
    ]);
    result.errors.forEach((error) => expect(error.message).toMatch(/\.$/));
  });

  test('warns, without rejecting, when every line names a non-image key: the key may still be an image', async () => {
    const result = await validateManifest(body(manifest(line('images-bucket', 'a.gif'), line('images-bucket', 'photo'))));

    expect(result).toMatchObject({ verdict: 'warnings', validLines: 0, invalidLines: 2 });
  });

  test('lists the first maxReportedErrors problems in line order and counts them all', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? line('images-bucket', `${i}.jpg`) : `bad ${i}`));

    const result = await validateManifest(body(manifest(...lines)), { maxReportedErrors: 20 });

    expect(result.errorCount).toBe(100);
    expect(result.invalidLines).toBe(100);
    expect(result.errors).toHaveLength(20);
    expect(result.errors.map((error) => error.lineNumber)).toEqual(lines.flatMap((text, i) => (text.startsWith('bad') ? [i + 1] : [])).slice(0, 20));
  });
});

describe('validateManifest rejects', () => {
  test('an empty manifest (EMPTY_MANIFEST)', async () => {
    const result = await validateManifest(body(''), { contentLength: 0 });

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 0, rejectReason: { code: 'EMPTY_MANIFEST', message: expect.stringContaining('empty') } });
  });

  test('a manifest of blank lines only (EMPTY_MANIFEST)', async () => {
    const result = await validateManifest(body('\n  \n\r\n'));

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 3, errorCount: 3, rejectReason: { code: 'EMPTY_MANIFEST', message: expect.stringContaining('only blank lines (3)') } });
  });

  test.each([
    ['a JSON array', JSON.stringify([{ 'source-ref': 's3://images-bucket/a.jpg' }], null, 2)],
    ['CSV', 'source-ref\ns3://images-bucket/a.jpg\ns3://images-bucket/b.jpg\n'],
    ['objects without source-ref', manifest('{"source":"s3://images-bucket/a.jpg"}', '{"image":"s3://images-bucket/b.jpg"}')],
  ])('%s: no line names an image (NO_VALID_LINES)', async (_, text) => {
    const result = await validateManifest(body(text));

    expect(result).toMatchObject({ verdict: 'reject', validLines: 0, rejectReason: { code: 'NO_VALID_LINES', message: expect.stringContaining('JSON Lines') } });
    expect(result.errorCount).toBe(result.totalLines);
  });

  test('a manifest naming a bucket the pipeline may not read (BUCKET_NOT_GRANTED), naming the bucket, its first line and imageBuckets', async () => {
    const text = manifest(line('images-bucket', 'a.jpg'), line('other-bucket', 'b.jpg'), 'oops', line('other-bucket', 'c.jpg'), line('third-bucket', 'd.gif'));

    const result = await validateManifest(body(text), { allowedBuckets: ['images-bucket', 'manifest-bucket'] });

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 5, validLines: 1, invalidLines: 4, complete: true });
    expect(result.rejectReason?.code).toBe('BUCKET_NOT_GRANTED');
    expect(result.rejectReason?.message).toContain('3 line(s)');
    expect(result.rejectReason?.message).toContain('"other-bucket" (first at line 2), "third-bucket" (first at line 5)');
    expect(result.rejectReason?.message).toContain('imageBuckets');
    expect(result.rejectReason?.message).toContain('"images-bucket", "manifest-bucket"');
    expect(result.errors.map(({ lineNumber, code }) => [lineNumber, code])).toEqual([[2, 'BUCKET_NOT_GRANTED'], [3, 'NOT_JSON'], [4, 'BUCKET_NOT_GRANTED'], [5, 'BUCKET_NOT_GRANTED']]);
  });

  test('names ten buckets not granted and says there are others', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => line(`bucket-${i}`, 'a.jpg'));

    const result = await validateManifest(body(manifest(...lines)), { allowedBuckets: ['images-bucket'] });

    expect(result.rejectReason?.message).toContain('"bucket-9" (first at line 10) and others.');
    expect(result.rejectReason?.message).not.toContain('bucket-10');
  });

  test('checks no bucket when allowedBuckets is absent', async () => {
    expect((await validateManifest(body(manifest(line('any-bucket', 'a.jpg'))))).verdict).toBe('ok');
  });

  test('a manifest whose ContentLength is over 50 MB (TOO_LARGE), without reading a byte', async () => {
    const { body: unread, read } = untouchedBody();

    const result = await validateManifest(unread, { contentLength: MANIFEST_MAX_BYTES + 1 });

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 0, bytes: MANIFEST_MAX_BYTES + 1, complete: false, rejectReason: { code: 'TOO_LARGE' } });
    expect(result.rejectReason?.message).toContain('52,428,801 bytes');
    expect(result.rejectReason?.message).toContain('at most 52,428,800 bytes (50 MB)');
    expect(read()).toBe(false);
  });

  test('accepts a ContentLength of exactly 50 MB', async () => {
    const result = await validateManifest(body(manifest(line('images-bucket', 'a.jpg'))), { contentLength: MANIFEST_MAX_BYTES });

    expect(result).toMatchObject({ verdict: 'ok', bytes: MANIFEST_MAX_BYTES });
  });

  test('a body that turns out longer than maxBytes when no ContentLength is known (TOO_LARGE), stopping there', async () => {
    const source = generated(100_000, 100);

    const result = await validateManifest(source.body, { maxBytes: 10_000 });

    expect(result).toMatchObject({ verdict: 'reject', complete: false, rejectReason: { code: 'TOO_LARGE', message: expect.stringContaining('more than 10,000 bytes') } });
    expect(result.bytes).toBeGreaterThan(10_000);
    expect(result.totalLines).toBeLessThanOrEqual(100);
    expect(source.pulled()).toBeLessThan(100_000);
    expect(source.body.destroyed).toBe(true);
  });

  test('accepts exactly 10,000 lines', async () => {
    const source = generated(MANIFEST_MAX_LINES, 60);

    const result = await validateManifest(source.body, { contentLength: source.bytes });

    expect(result).toMatchObject({ verdict: 'ok', totalLines: 10_000, validLines: 10_000, complete: true });
  });

  test('10,001 lines (TOO_MANY_LINES), stopping at line 10,001', async () => {
    const source = generated(100_000, 60);

    const result = await validateManifest(source.body, { contentLength: source.bytes });

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 10_000, complete: false, rejectReason: { code: 'TOO_MANY_LINES' } });
    expect(result.rejectReason?.message).toContain('reading stopped at line 10,001');
    // Readable.from reads a few chunks ahead; the point is that the rest is never read.
    expect(source.pulled()).toBeLessThan(40_000);
    expect(source.body.destroyed).toBe(true);
  });

  test('counts blank lines towards the 10,000-line limit', async () => {
    const text = manifest(...Array.from({ length: MANIFEST_MAX_LINES }, (_, i) => line('images-bucket', `${i}.jpg`)), '');

    expect((await validateManifest(body(text))).rejectReason?.code).toBe('TOO_MANY_LINES');
  });

  test('gives the earlier reason when a manifest breaks several rules: too many lines before buckets', async () => {
    const source = generated(MANIFEST_MAX_LINES + 1, 60, 'other-bucket');

    expect((await validateManifest(source.body, { allowedBuckets: ['images-bucket'] })).rejectReason?.code).toBe('TOO_MANY_LINES');
  });
});

describe('validateManifest memory', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Peak growth of the JavaScript heap plus Buffer memory while validating, sampled at every chunk. */
  async function peakHeapGrowth(source: AsyncIterable<Buffer>): Promise<{ peak: number; result: Awaited<ReturnType<typeof validateManifest>> }> {
    const used = () => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    gc();
    const baseline = used();
    let peak = 0;
    async function* sampled() {
      for await (const chunk of source) {
        peak = Math.max(peak, used() - baseline);
        yield chunk;
      }
    }
    const result = await validateManifest(sampled(), { allowedBuckets: ['images-bucket'] });
    return { peak, result };
  }

  test('validates a 50 MB, 10,000-line manifest with heap growth bounded far below its size', async () => {
    const lineBytes = Math.floor(MANIFEST_MAX_BYTES / MANIFEST_MAX_LINES);
    const source = generated(MANIFEST_MAX_LINES, lineBytes);

    const { peak, result } = await peakHeapGrowth(source.body);

    expect(result).toMatchObject({ verdict: 'ok', totalLines: 10_000, bytes: source.bytes });
    expect(source.bytes).toBeGreaterThan(MANIFEST_MAX_BYTES - MANIFEST_MAX_LINES);
    // Holding the lines would take >= 50 MB (100 MB as JavaScript strings); measured here: ~11 MB,
    // most of it garbage not yet collected. The bound leaves room for the young generation (16 MB).
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });

  test('keeps a single 50 MB line (no newline at all) to maxLineBytes', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    async function* oneLine() {
      for (let sent = 0; sent + chunk.length <= MANIFEST_MAX_BYTES; sent += chunk.length) yield chunk;
    }

    const { peak, result } = await peakHeapGrowth(oneLine());

    expect(result).toMatchObject({ verdict: 'reject', totalLines: 1, rejectReason: { code: 'NO_VALID_LINES' } });
    expect(result.errors[0]).toMatchObject({ lineNumber: 1, code: 'LINE_TOO_LONG' });
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });
});
