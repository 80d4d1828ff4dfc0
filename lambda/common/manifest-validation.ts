import { ManifestLine, ManifestLineCode, readManifestLines } from './manifest-reader';

/**
 * Checks a manifest before a bulk job is started for it, streaming, in constant memory.
 *
 * reject: no job should start, because Rekognition would refuse the manifest or the job could
 *   only fail: EMPTY_MANIFEST, TOO_LARGE, TOO_MANY_LINES, NO_VALID_LINES (no line names an
 *   object, e.g. not JSON Lines), BUCKET_NOT_GRANTED (a line names a bucket the pipeline may not
 *   read: Rekognition reads images with the caller's permissions and would be denied).
 * warnings: the job starts; Rekognition skips and reports those lines itself (every per-line
 *   code of the reader: EMPTY_LINE, LINE_TOO_LONG, NOT_JSON, NOT_AN_OBJECT, NO_SOURCE_REF,
 *   BAD_SOURCE_REF, NOT_AN_IMAGE).
 * Not checked: the Region of the image buckets (Rekognition needs them in its own Region). That
 *   takes a GetBucketLocation call and permission per bucket; the granted buckets are chosen by
 *   whoever deploys the pipeline, so it is left to them.
 *
 * Limits: 50 MB is read as 50 MiB, the larger reading, so size never rejects what Rekognition
 * accepts. Blank lines count towards the 10,000 lines (Rekognition's counting is not documented):
 * 10,000 images plus blank lines is rejected, and the message says blank lines count.
 */

export type ValidationVerdict = 'ok' | 'warnings' | 'reject';
export type RejectCode = 'EMPTY_MANIFEST' | 'TOO_LARGE' | 'TOO_MANY_LINES' | 'NO_VALID_LINES' | 'BUCKET_NOT_GRANTED';
export type IssueCode = ManifestLineCode | 'BUCKET_NOT_GRANTED';

/** One problem line; a line has at most one. */
export interface ValidationIssue {
  readonly lineNumber: number;
  /** The source-ref when the line has a usable one, else null. */
  readonly sourceRef: string | null;
  readonly code: IssueCode;
  readonly message: string;
}

export interface ManifestValidation {
  readonly verdict: ValidationVerdict;
  /** Lines read (blank ones included); with complete false, only up to where reading stopped. */
  readonly totalLines: number;
  /** Lines without any issue. */
  readonly validLines: number;
  /** Lines with an issue (warning or reject); equals errorCount. */
  readonly invalidLines: number;
  /** The manifest's size: ContentLength when known, else the bytes read. */
  readonly bytes: number;
  /** False when reading stopped early (TOO_LARGE, TOO_MANY_LINES): the counts cover what was read. */
  readonly complete: boolean;
  readonly rejectReason?: { readonly code: RejectCode; readonly message: string };
  /** The first maxReportedErrors issues, in line order. */
  readonly errors: readonly ValidationIssue[];
  readonly errorCount: number;
}

export interface ValidateManifestOptions {
  /** ContentLength of the object: over maxBytes rejects before a byte is read. */
  readonly contentLength?: number;
  /** Buckets lines may name; absent: any bucket (the check is skipped). */
  readonly allowedBuckets?: readonly string[];
  /** @default 10,000 (Rekognition's limit) */
  readonly maxLines?: number;
  /** @default 50 MiB (Rekognition's 50 MB) */
  readonly maxBytes?: number;
  /** @default 100 */
  readonly maxReportedErrors?: number;
  /** @default the reader's DEFAULT_MAX_LINE_BYTES */
  readonly maxLineBytes?: number;
}

export const MANIFEST_MAX_LINES = 10_000;
export const MANIFEST_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_REPORTED_ERRORS = 100;
/** Bucket names quoted in a BUCKET_NOT_GRANTED message. */
const MAX_NAMED_BUCKETS = 10;

export async function validateManifest(body: AsyncIterable<Uint8Array | string>, options: ValidateManifestOptions = {}): Promise<ManifestValidation> {
  const maxLines = options.maxLines ?? MANIFEST_MAX_LINES;
  const maxBytes = options.maxBytes ?? MANIFEST_MAX_BYTES;
  const tally = new Tally(options.maxReportedErrors ?? DEFAULT_MAX_REPORTED_ERRORS, options.allowedBuckets);
  const { contentLength } = options;

  if (contentLength !== undefined && contentLength > maxBytes) {
    return tally.result({ bytes: contentLength, complete: false, reject: tooLarge(contentLength, maxBytes) });
  }
  const read = { bytes: 0 };
  try {
    for await (const line of readManifestLines(counted(body, maxBytes, read), { maxLineBytes: options.maxLineBytes })) {
      if (line.lineNumber > maxLines) {
        return tally.result({
          bytes: contentLength ?? read.bytes,
          complete: false,
          reject: { code: 'TOO_MANY_LINES', message: `The manifest has more than ${n(maxLines)} lines (reading stopped at line ${n(line.lineNumber)}); Rekognition accepts at most ${n(maxLines)}, blank lines included. Split it into several manifests.` },
        });
      }
      tally.add(line);
    }
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    return tally.result({ bytes: read.bytes, complete: false, reject: tooLarge(read.bytes, maxBytes, true) });
  }
  return tally.result({ bytes: contentLength ?? read.bytes, complete: true, reject: tally.rejectReason() });
}

class Tally {
  private totalLines = 0;
  private invalidLines = 0;
  private usableLines = 0;
  private blankLines = 0;
  private readonly errors: ValidationIssue[] = [];
  private readonly allowed?: ReadonlySet<string>;
  /** Bucket -> first line naming it, for the first MAX_NAMED_BUCKETS buckets not granted. */
  private readonly notGranted = new Map<string, number>();
  private notGrantedLines = 0;
  /** Some bucket beyond the named ones was not granted either (not remembered: constant memory). */
  private otherBuckets = false;

  constructor(private readonly maxReportedErrors: number, allowedBuckets?: readonly string[]) {
    this.allowed = allowedBuckets && new Set(allowedBuckets);
  }

  add(line: ManifestLine): void {
    this.totalLines++;
    const { entry, lineNumber } = line;
    if (entry) this.usableLines++;
    if (line.error?.code === 'EMPTY_LINE') this.blankLines++;
    if (entry && this.allowed && !this.allowed.has(entry.bucket)) {
      this.countNotGranted(entry.bucket, lineNumber);
      this.issue({ lineNumber, sourceRef: entry.sourceRef, code: 'BUCKET_NOT_GRANTED', message: `Bucket ${JSON.stringify(entry.bucket)} is not one the pipeline may read images from.` });
    } else if (line.error) {
      this.issue({ lineNumber, sourceRef: entry?.sourceRef ?? null, code: line.error.code, message: line.error.message });
    }
  }

  rejectReason(): ManifestValidation['rejectReason'] {
    if (this.totalLines === this.blankLines) {
      const what = this.totalLines === 0 ? 'empty' : `only blank lines (${n(this.totalLines)})`;
      return { code: 'EMPTY_MANIFEST', message: `The manifest is ${what}; write one {"source-ref":"s3://bucket/key"} per line.` };
    }
    if (this.usableLines === 0) {
      return {
        code: 'NO_VALID_LINES',
        message: `None of the ${n(this.totalLines)} lines names an image: a manifest is JSON Lines, one {"source-ref":"s3://bucket/key"} object per line (see the errors for each line).`,
      };
    }
    if (this.notGrantedLines > 0) {
      const named = [...this.notGranted].map(([bucket, line]) => `${JSON.stringify(bucket)} (first at line ${line})`);
      return {
        code: 'BUCKET_NOT_GRANTED',
        message: `${n(this.notGrantedLines)} line(s) name images in buckets the pipeline may not read: ${named.join(', ')}${this.otherBuckets ? ' and others' : ''}. `
          + 'Rekognition reads images with the pipeline\'s permissions and would be denied. Add the buckets to the imageBuckets prop of the pipeline '
          + `(granted now: ${[...this.allowed ?? []].map((bucket) => JSON.stringify(bucket)).join(', ') || 'none'}), or copy the images into one of them.`,
      };
    }
    return undefined;
  }

  result(end: { bytes: number; complete: boolean; reject?: ManifestValidation['rejectReason'] }): ManifestValidation {
    const errorCount = this.invalidLines;
    return {
      verdict: end.reject ? 'reject' : errorCount > 0 ? 'warnings' : 'ok',
      totalLines: this.totalLines,
      validLines: this.totalLines - this.invalidLines,
      invalidLines: this.invalidLines,
      bytes: end.bytes,
      complete: end.complete,
      ...(end.reject && { rejectReason: end.reject }),
      errors: this.errors,
      errorCount,
    };
  }

  private issue(issue: ValidationIssue): void {
    this.invalidLines++;
    if (this.errors.length < this.maxReportedErrors) this.errors.push(issue);
  }

  private countNotGranted(bucket: string, lineNumber: number): void {
    this.notGrantedLines++;
    if (this.notGranted.has(bucket)) return;
    if (this.notGranted.size < MAX_NAMED_BUCKETS) {
      this.notGranted.set(bucket, lineNumber);
    } else {
      this.otherBuckets = true;
    }
  }
}

class TooLarge extends Error {}

/** Passes the body through, counting bytes; throws TooLarge past maxBytes (reading stops). */
async function* counted(body: AsyncIterable<Uint8Array | string>, maxBytes: number, read: { bytes: number }): AsyncGenerator<Uint8Array | string> {
  for await (const chunk of body) {
    read.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.byteLength;
    if (read.bytes > maxBytes) throw new TooLarge();
    yield chunk;
  }
}

function tooLarge(bytes: number, maxBytes: number, streamed = false): ManifestValidation['rejectReason'] {
  const size = streamed ? `more than ${n(maxBytes)} bytes (reading stopped there)` : `${n(bytes)} bytes`;
  return { code: 'TOO_LARGE', message: `The manifest is ${size}; Rekognition accepts at most ${n(maxBytes)} bytes (${Number((maxBytes / 1024 / 1024).toFixed(2))} MB). Split it into several manifests.` };
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}
