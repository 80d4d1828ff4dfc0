/**
 * Streaming reader of input manifests: JSON Lines, one {"source-ref":"s3://bucket/key"} per line.
 *
 * API (shared by the trigger's pre-validation and the per-image engine; keep it small and stable):
 *
 *   for await (const line of readManifestLines(body)) { ... }
 *
 * - `body`: any async iterable of bytes or strings, e.g. the Body of an S3 GetObject response.
 * - Each physical line is yielded once, in order, as a `ManifestLine`:
 *   - `lineNumber`: 1-based physical line number, as an editor shows it (blank lines count).
 *   - `byteLength`: UTF-8 bytes of the line without its '\n' (a '\r' of CRLF is included).
 *   - `entry` set, `error` absent: a usable line.
 *   - `entry` absent, `error` set: an unusable line.
 *   - both set: a usable reference with a warning; only NOT_AN_IMAGE does this (the key does not
 *     end in .jpg/.jpeg/.png, so the object is probably not an image, but it may still be one).
 * - A final '\n' ends the last line; it does not start an empty one. Text after the last '\n' is
 *   a line. An empty body yields nothing.
 * - Memory is bounded by `maxLineBytes` plus about two chunks of the body, whatever its size:
 *   bytes of a longer line are dropped and the line is reported as LINE_TOO_LONG.
 * - Stopping early (`break`) stops reading the body and destroys it if it is a Node stream.
 * - `parseManifestLine(text)` applies the same rules to one line already in hand.
 *
 * Line rules. What Rekognition counts is not documented beyond "JSON Lines"; the choices lean
 * towards reporting: a blank line (empty or whitespace only) is yielded as EMPTY_LINE rather than
 * skipped, since JSON.parse rejects it and Rekognition may count it as an invalid line. The key of
 * a source-ref is taken literally (not URL-decoded), as in SageMaker Ground Truth manifests.
 */

export interface ManifestEntry {
  /** The source-ref value as written. */
  readonly sourceRef: string;
  readonly bucket: string;
  /** The object key, taken literally. */
  readonly key: string;
}

export type ManifestLineCode =
  | 'EMPTY_LINE'
  | 'LINE_TOO_LONG'
  | 'NOT_JSON'
  | 'NOT_AN_OBJECT'
  | 'NO_SOURCE_REF'
  | 'BAD_SOURCE_REF'
  | 'NOT_AN_IMAGE';

export interface ManifestLineError {
  readonly code: ManifestLineCode;
  /** One sentence for a person; quotes at most a short part of the line. */
  readonly message: string;
}

export interface ManifestLine {
  readonly lineNumber: number;
  readonly byteLength: number;
  readonly entry?: ManifestEntry;
  readonly error?: ManifestLineError;
}

export interface ReadManifestOptions {
  /**
   * Longest line kept, in bytes; longer lines are LINE_TOO_LONG. A source-ref line needs about
   * 1.3 KB (bucket up to 255 characters, key up to 1,024 bytes), 6x that if fully \u-escaped.
   * @default 1 MiB
   */
  readonly maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
/** Rekognition's pattern for Input.S3Object.Bucket (looser than today's bucket naming rules). */
const BUCKET_PATTERN = /^[0-9A-Za-z._-]{3,255}$/;
const MAX_KEY_BYTES = 1024;
const IMAGE_KEY = /\.(?:jpe?g|png)$/i;
const QUOTE_LIMIT = 80;

/** The lines of a manifest, one at a time, each checked on its own. */
export async function* readManifestLines(
  body: AsyncIterable<Uint8Array | string>,
  options: ReadManifestOptions = {},
): AsyncGenerator<ManifestLine, void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let pieces: Buffer[] = [];
  let kept = 0;
  let lineBytes = 0;
  let lineNumber = 0;

  const finish = (): ManifestLine => {
    lineNumber++;
    const byteLength = lineBytes;
    const text = byteLength > maxLineBytes ? undefined : (pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, kept)).toString('utf8');
    pieces = [];
    kept = 0;
    lineBytes = 0;
    if (text === undefined) {
      return { lineNumber, byteLength, error: { code: 'LINE_TOO_LONG', message: `Line is ${byteLength} bytes, over the ${maxLineBytes} read of one line; write one {"source-ref":"s3://bucket/key"} per line.` } };
    }
    return { lineNumber, byteLength, ...parseManifestLine(text, lineNumber) };
  };

  const append = (chunk: Buffer, start: number, end: number) => {
    const length = end - start;
    lineBytes += length;
    if (lineBytes > maxLineBytes) {
      pieces = [];
      kept = 0;
    } else if (length > 0) {
      pieces.push(chunk.subarray(start, end));
      kept += length;
    }
  };

  for await (const chunk of body) {
    const bytes = toBuffer(chunk);
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE, start); newline !== -1; newline = bytes.indexOf(NEWLINE, start)) {
      append(bytes, start, newline);
      yield finish();
      start = newline + 1;
    }
    if (start < bytes.length) append(bytes, start, bytes.length);
  }
  if (lineBytes > 0) yield finish();
}

/** Checks one line's text (without its '\n'). lineNumber 1 may start with a byte-order mark. */
export function parseManifestLine(text: string, lineNumber = 0): { entry?: ManifestEntry; error?: ManifestLineError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (/^\s*$/.test(text)) return problem('EMPTY_LINE', 'Line is blank; remove it.');
    if (lineNumber === 1 && text.startsWith('\uFEFF')) {
      return problem('NOT_JSON', 'Line starts with a byte-order mark (U+FEFF); save the manifest as UTF-8 without BOM.');
    }
    return problem('NOT_JSON', `Line is not JSON: ${quote(text)}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return problem('NOT_AN_OBJECT', `Line is JSON but not an object (${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}); write one {"source-ref":"s3://bucket/key"} per line.`);
  }
  if (!Object.hasOwn(value, 'source-ref')) {
    return problem('NO_SOURCE_REF', 'Object has no "source-ref" field; write {"source-ref":"s3://bucket/key"}.');
  }
  const sourceRef = (value as Record<string, unknown>)['source-ref'];
  if (typeof sourceRef !== 'string') {
    return problem('BAD_SOURCE_REF', `"source-ref" is ${sourceRef === null ? 'null' : `a ${typeof sourceRef}`}, not an s3://bucket/key string.`);
  }
  return parseSourceRef(sourceRef);
}

function parseSourceRef(sourceRef: string): { entry?: ManifestEntry; error?: ManifestLineError } {
  const slash = sourceRef.indexOf('/', 5);
  const bucket = sourceRef.startsWith('s3://') && slash !== -1 ? sourceRef.slice(5, slash) : undefined;
  const key = slash === -1 ? '' : sourceRef.slice(slash + 1);
  if (bucket === undefined || key === '') {
    return problem('BAD_SOURCE_REF', `"source-ref" ${quote(sourceRef)} is not an s3://bucket/key URI.`);
  }
  if (!BUCKET_PATTERN.test(bucket)) {
    return problem('BAD_SOURCE_REF', `"source-ref" names bucket ${quote(bucket)}, which is not a bucket name (3-255 characters of a-z, A-Z, 0-9, '.', '-', '_').`);
  }
  const keyBytes = Buffer.byteLength(key, 'utf8');
  if (keyBytes > MAX_KEY_BYTES) {
    return problem('BAD_SOURCE_REF', `"source-ref" key is ${keyBytes} bytes; S3 keys are at most ${MAX_KEY_BYTES}.`);
  }
  const entry: ManifestEntry = { sourceRef, bucket, key };
  if (!IMAGE_KEY.test(key)) {
    return { entry, error: { code: 'NOT_AN_IMAGE', message: `Key ${quote(key)} does not end in .jpg, .jpeg or .png; Rekognition analyses JPEG and PNG images only.` } };
  }
  return { entry };
}

function problem(code: ManifestLineCode, message: string): { error: ManifestLineError } {
  return { error: { code, message } };
}

function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}...` : text);
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
