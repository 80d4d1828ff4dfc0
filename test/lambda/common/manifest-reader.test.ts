import { Readable } from 'node:stream';
import { ManifestLine, parseManifestLine, readManifestLines } from '../../../lambda/common/manifest-reader';

async function readAll(chunks: Array<Uint8Array | string>, maxLineBytes?: number): Promise<ManifestLine[]> {
  const lines: ManifestLine[] = [];
  for await (const line of readManifestLines(Readable.from(chunks), { maxLineBytes })) lines.push(line);
  return lines;
}

const read = (text: string, maxLineBytes?: number) => readAll([Buffer.from(text, 'utf8')], maxLineBytes);

/** The same bytes cut into chunks of `size` bytes (cuts fall inside lines and UTF-8 characters). */
function chunked(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

describe('readManifestLines', () => {
  test('yields one entry per line with its 1-based number and UTF-8 byte length', async () => {
    const first = '{"source-ref":"s3://bucket-a/cats/1.jpg"}';
    const second = '{"source-ref":"s3://bucket-b/chats/é 😀.png"}';

    const lines = await read(`${first}\n${second}\n`);

    expect(lines).toEqual([
      { lineNumber: 1, byteLength: first.length, entry: { sourceRef: 's3://bucket-a/cats/1.jpg', bucket: 'bucket-a', key: 'cats/1.jpg' } },
      { lineNumber: 2, byteLength: second.length + 3, entry: { sourceRef: 's3://bucket-b/chats/é 😀.png', bucket: 'bucket-b', key: 'chats/é 😀.png' } },
    ]);
  });

  test('ends the last line at a final newline, and reads a last line that has none', async () => {
    expect(await read('{"source-ref":"s3://bkt/a.jpg"}\n')).toHaveLength(1);
    expect(await read('{"source-ref":"s3://bkt/a.jpg"}\n{"source-ref":"s3://bkt/b.jpg"}')).toHaveLength(2);
  });

  test('yields nothing for an empty body', async () => {
    expect(await readAll([])).toEqual([]);
    expect(await read('')).toEqual([]);
  });

  test('numbers blank lines and reports them as EMPTY_LINE instead of skipping them', async () => {
    const lines = await read('\n{"source-ref":"s3://bkt/a.jpg"}\n   \t\n\n{"source-ref":"s3://bkt/b.jpg"}\n');

    expect(lines.map((line) => [line.lineNumber, line.error?.code ?? line.entry?.key])).toEqual([
      [1, 'EMPTY_LINE'],
      [2, 'a.jpg'],
      [3, 'EMPTY_LINE'],
      [4, 'EMPTY_LINE'],
      [5, 'b.jpg'],
    ]);
  });

  test('reads CRLF line endings: the \\r counts in the byte length but not in the entry', async () => {
    const lines = await read('{"source-ref":"s3://bkt/a.jpg"}\r\n\r\n');

    expect(lines).toEqual([
      { lineNumber: 1, byteLength: '{"source-ref":"s3://bkt/a.jpg"}\r'.length, entry: { sourceRef: 's3://bkt/a.jpg', bucket: 'bkt', key: 'a.jpg' } },
      { lineNumber: 2, byteLength: 1, error: expect.objectContaining({ code: 'EMPTY_LINE' }) },
    ]);
  });

  test.each([1, 2, 3, 7, 64])('gives the same lines whatever the chunk boundaries (%i-byte chunks, cutting UTF-8 characters)', async (size) => {
    const text = '{"source-ref":"s3://bkt/été/😀.jpg"}\n\nnot json\n{"source-ref":"s3://bkt/日本.png"}\n{"a":1}';

    expect(await readAll(chunked(text, size))).toEqual(await read(text));
  });

  test('accepts string chunks and Uint8Array chunks as well as Buffers', async () => {
    const text = '{"source-ref":"s3://bkt/a.jpg"}\n{"source-ref":"s3://bkt/b.jpg"}\n';
    const bytes = new TextEncoder().encode(text);

    expect(await readAll(['{"source-ref":"s3://bkt/a', '.jpg"}\n{"source-ref":"s3://bkt/b.jpg"}\n'])).toEqual(await read(text));
    expect(await readAll([bytes.subarray(0, 10), bytes.subarray(10)])).toEqual(await read(text));
  });

  test('reports a line longer than maxLineBytes as LINE_TOO_LONG and reads the next line normally', async () => {
    const long = `{"source-ref":"s3://bkt/${'k'.repeat(100)}.jpg"}`;
    const fits = `{"source-ref":"s3://bkt/${'k'.repeat(10)}.jpg"}`;

    const lines = await readAll(chunked(`${long}\n${fits}\n`, 16), Buffer.byteLength(fits));

    expect(lines).toEqual([
      { lineNumber: 1, byteLength: Buffer.byteLength(long), error: { code: 'LINE_TOO_LONG', message: expect.stringContaining(`${Buffer.byteLength(long)} bytes`) } },
      { lineNumber: 2, byteLength: Buffer.byteLength(fits), entry: expect.objectContaining({ key: `${'k'.repeat(10)}.jpg` }) },
    ]);
  });

  test('stops pulling from the body and destroys it when the caller stops early', async () => {
    let pulled = 0;
    const body = Readable.from((function* () {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from(`{"source-ref":"s3://bkt/${i}.jpg"}\n`);
      }
    })());

    for await (const line of readManifestLines(body)) {
      if (line.lineNumber === 3) break;
    }

    expect(pulled).toBeLessThan(100);
    expect(body.destroyed).toBe(true);
  });

  test('passes an error of the body on to the caller', async () => {
    const body = new Readable({ read() {} });
    body.push('{"source-ref":"s3://bkt/a.jpg"}\n');
    setImmediate(() => body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));

    const lines: ManifestLine[] = [];
    await expect((async () => {
      for await (const line of readManifestLines(body)) lines.push(line);
    })()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(lines).toHaveLength(1);
  });
});

describe('parseManifestLine', () => {
  test.each([
    ['blank', 'EMPTY_LINE', ''],
    ['whitespace only', 'EMPTY_LINE', ' \t\r'],
    ['not JSON', 'NOT_JSON', 'cats/1.jpg'],
    ['truncated JSON', 'NOT_JSON', '{"source-ref":"s3://bkt/a.jpg"'],
    ['a JSON array', 'NOT_AN_OBJECT', '[{"source-ref":"s3://bkt/a.jpg"}]'],
    ['a JSON string', 'NOT_AN_OBJECT', '"s3://bkt/a.jpg"'],
    ['JSON null', 'NOT_AN_OBJECT', 'null'],
    ['an object without source-ref', 'NO_SOURCE_REF', '{"source_ref":"s3://bkt/a.jpg"}'],
    ['a number source-ref', 'BAD_SOURCE_REF', '{"source-ref":42}'],
    ['a null source-ref', 'BAD_SOURCE_REF', '{"source-ref":null}'],
    ['an https URL', 'BAD_SOURCE_REF', '{"source-ref":"https://bkt.s3.amazonaws.com/a.jpg"}'],
    ['an upper-case scheme', 'BAD_SOURCE_REF', '{"source-ref":"S3://bkt/a.jpg"}'],
    ['a bucket without key', 'BAD_SOURCE_REF', '{"source-ref":"s3://bkt"}'],
    ['an empty key', 'BAD_SOURCE_REF', '{"source-ref":"s3://bkt/"}'],
    ['an empty bucket', 'BAD_SOURCE_REF', '{"source-ref":"s3:///a.jpg"}'],
    ['a bucket with a space', 'BAD_SOURCE_REF', '{"source-ref":"s3://my bucket/a.jpg"}'],
    ['a 2-character bucket', 'BAD_SOURCE_REF', '{"source-ref":"s3://ab/a.jpg"}'],
    ['a key over 1,024 bytes', 'BAD_SOURCE_REF', `{"source-ref":"s3://bkt/${'é'.repeat(511)}.jpg"}`],
  ])('reports %s as an unusable line: %s', (_, code, text) => {
    const parsed = parseManifestLine(text, 2);

    expect(parsed.entry).toBeUndefined();
    expect(parsed.error).toEqual({ code, message: expect.stringMatching(/\.$/) });
  });

  test.each(['a.jpg', 'b.JPG', 'c.jpeg', 'd.JPEG', 'e.png', 'f.Png', 'dir.png/g.jpg'])('accepts the image key %s', (key) => {
    expect(parseManifestLine(`{"source-ref":"s3://bkt/${key}"}`)).toEqual({ entry: { sourceRef: `s3://bkt/${key}`, bucket: 'bkt', key } });
  });

  test.each(['a.gif', 'b.webp', 'c.jpg.txt', 'no-extension', 'dir.jpg/'])('keeps the entry of %s but warns NOT_AN_IMAGE', (key) => {
    expect(parseManifestLine(`{"source-ref":"s3://bkt/${key}"}`)).toEqual({
      entry: { sourceRef: `s3://bkt/${key}`, bucket: 'bkt', key },
      error: { code: 'NOT_AN_IMAGE', message: expect.stringContaining('JPEG and PNG') },
    });
  });

  test('takes the key literally: no URL decoding, slashes and spaces kept', () => {
    expect(parseManifestLine('{"source-ref":"s3://Legacy_Bucket.1//a%20b+c d.jpg"}').entry).toEqual({
      sourceRef: 's3://Legacy_Bucket.1//a%20b+c d.jpg',
      bucket: 'Legacy_Bucket.1',
      key: '/a%20b+c d.jpg',
    });
  });

  test('accepts a key of exactly 1,024 bytes and other fields on the line', () => {
    const key = `${'k'.repeat(1020)}.jpg`;

    expect(parseManifestLine(`{"id":7,"source-ref":"s3://bkt/${key}","label":{"x":1}}`).entry?.key).toBe(key);
  });

  test('names a byte-order mark on line 1', () => {
    expect(parseManifestLine('\uFEFF{"source-ref":"s3://bkt/a.jpg"}', 1).error).toEqual({ code: 'NOT_JSON', message: expect.stringContaining('byte-order mark') });
  });

  test('quotes at most the start of a long unparsable line', () => {
    const message = parseManifestLine(`not json ${'x'.repeat(5000)}`).error!.message;

    expect(message.length).toBeLessThan(200);
    expect(message).toContain('not json');
  });
});
