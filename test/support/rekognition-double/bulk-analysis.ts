import { isSupportedImageKey, moderateImageKey } from './labels';
import type { ObjectHead, S3View } from './s3-view';

/** Images larger than this are refused (bulk analysis and DetectModerationLabels from S3). */
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;

/**
 * Per-line error codes of the summary. The API documents the summary's shape but not its codes:
 * these names are the double's own.
 */
export const LINE_ERROR_CODES = {
  notJson: 'INVALID_JSON_LINE',
  noSourceRef: 'MISSING_SOURCE_REF',
  badSourceRef: 'INVALID_SOURCE_REF',
  notFound: 'IMAGE_NOT_FOUND',
  accessDenied: 'ACCESS_DENIED',
  otherRegion: 'INVALID_REGION',
  format: 'UNSUPPORTED_IMAGE_FORMAT',
  tooLarge: 'IMAGE_TOO_LARGE',
} as const;

export interface LineError {
  readonly lineNumber: number;
  readonly sourceRef?: string;
  readonly code: string;
  readonly message: string;
}

export interface BulkAnalysis {
  /** Output manifest lines, in input order. */
  readonly outputLines: string[];
  readonly totalLines: number;
  readonly validLines: number;
  readonly errors: LineError[];
}

/**
 * Analyses every non-blank line of a manifest (duplicates included, as the service does). A line
 * whose source-ref could be read gets an output line, with `detect-moderation-labels` when the
 * image was analysed; a line that is not JSON or has no source-ref gets none.
 */
export async function analyseManifest(manifest: string, view: S3View, minConfidence: number | undefined): Promise<BulkAnalysis> {
  const lines = manifest.split(/\r?\n/);
  const heads = new Map<string, Promise<ObjectHead>>();
  const head = (bucket: string, key: string) => {
    const id = `${bucket}/${key}`;
    if (!heads.has(id)) heads.set(id, view.head(bucket, key, undefined));
    return heads.get(id)!;
  };

  const results = await mapLimited(lines, 16, async (text, index) => analyseLine(text, index + 1, head, minConfidence));
  const outputLines: string[] = [];
  const errors: LineError[] = [];
  let totalLines = 0;
  let validLines = 0;
  for (const result of results) {
    if (result === undefined) continue;
    totalLines += 1;
    if (result.output !== undefined) outputLines.push(result.output);
    if (result.error) errors.push(result.error); else validLines += 1;
  }
  return { outputLines, totalLines, validLines, errors };
}

type LineResult = { output?: string; error?: LineError } | undefined;

async function analyseLine(
  text: string,
  lineNumber: number,
  head: (bucket: string, key: string) => Promise<ObjectHead>,
  minConfidence: number | undefined,
): Promise<LineResult> {
  if (text.trim() === '') return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { error: { lineNumber, code: LINE_ERROR_CODES.notJson, message: 'The line is not valid JSON' } };
  }
  const sourceRef = typeof document === 'object' && document !== null ? (document as Record<string, unknown>)['source-ref'] : undefined;
  if (typeof sourceRef !== 'string') {
    return { error: { lineNumber, code: LINE_ERROR_CODES.noSourceRef, message: 'The line has no source-ref string' } };
  }
  const invalid = (code: string, message: string): LineResult => ({
    output: JSON.stringify({ 'source-ref': sourceRef }),
    error: { lineNumber, sourceRef, code, message },
  });
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(sourceRef);
  if (!match) return invalid(LINE_ERROR_CODES.badSourceRef, 'source-ref must be s3://bucket/key');
  const [, bucket, key] = match;
  if (!isSupportedImageKey(key)) return invalid(LINE_ERROR_CODES.format, 'The image must be JPEG or PNG');
  const found = await head(bucket, key);
  if (!found.ok) {
    const code = found.reason === 'not-found' ? LINE_ERROR_CODES.notFound
      : found.reason === 'other-region' ? LINE_ERROR_CODES.otherRegion : LINE_ERROR_CODES.accessDenied;
    return invalid(code, found.message);
  }
  if (found.size > MAX_IMAGE_BYTES) return invalid(LINE_ERROR_CODES.tooLarge, `The image is larger than ${MAX_IMAGE_BYTES} bytes`);
  return { output: JSON.stringify({ 'source-ref': sourceRef, 'detect-moderation-labels': moderateImageKey(key, minConfidence) }) };
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
