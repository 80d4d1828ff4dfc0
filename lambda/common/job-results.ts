import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { type S3Location, s3Uri } from '../../lib/common/contract/s3-location';
import {
  DEFAULT_MIN_CONFIDENCE,
  type ManifestLineError,
  type ManifestStatistics,
  MAX_REPORTED_ERRORS,
  type ModerationStatistics,
} from '../../lib/events/completion-event-contract';
import { errorCode, HandlerError } from './errors';

// Reads a finished job's output objects. The results file is streamed line by line (one input
// manifest line each, up to 10,000), so memory does not grow with it. This module imports the S3
// SDK: load it with import() from code whose cold start must not pay for S3.

/** A summary lists at most one error per manifest line (10,000); anything far larger is not a summary. */
export const MAX_SUMMARY_BYTES = 32 * 1024 * 1024;

/** An output object whose content is not what Rekognition documents. */
export class MalformedOutputError extends HandlerError {
  constructor(message: string) {
    super(HandlerErrorName.MALFORMED_OUTPUT, message);
  }
}

/** S3's answers for an object that does not exist (NotFound: a HEAD request's). */
const OBJECT_GONE_ERRORS = new Set(['NoSuchKey', 'NotFound']);

/**
 * Whether a read failed because the object is not there (deleted, or never written). S3 says so
 * only to a reader allowed to list the bucket; to others it answers AccessDenied.
 */
export function isObjectGone(error: unknown): boolean {
  return OBJECT_GONE_ERRORS.has(errorCode(error));
}

export interface ModerationLabel {
  Name: string;
  ParentName: string;
  Confidence: number;
  TaxonomyLevel?: number;
}

/** One line of the results file. */
export type ResultLine =
  | { kind: 'analyzed'; lineNumber: number; sourceRef: string | null; labels: ModerationLabel[] }
  /** No detect-moderation-labels: the image could not be analysed (the summary lists why). */
  | { kind: 'unanalyzed'; lineNumber: number; sourceRef: string | null }
  | { kind: 'unreadable'; lineNumber: number; reason: string };

/** One line of the flagged-images list. */
export interface FlaggedImage {
  'source-ref': string | null;
  labels: string[];
}

export interface ResultsScan {
  moderation: ModerationStatistics;
  /** The first unreadable line, for the log. */
  firstUnreadable: { lineNumber: number; reason: string } | null;
}

/** The object's body as a Node stream, not read yet. */
export async function openObject(s3: S3Client, location: S3Location): Promise<Readable> {
  const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  const body: unknown = response.Body;
  if (body instanceof Readable) {
    return body;
  }
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    return Readable.from(body as AsyncIterable<unknown>);
  }
  throw new MalformedOutputError(`${s3Uri(location)} has no readable body`);
}

/**
 * A download cut off mid-stream surfaces as a plain Error (or whatever the socket says): named
 * READ_INTERRUPTED, it is retried as transient, while a plain Error elsewhere stays a bug.
 */
export function readInterrupted(error: unknown, location?: S3Location): unknown {
  if (error instanceof HandlerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const object = location ? s3Uri(location) : 'an S3 object';
  return new HandlerError(HandlerErrorName.READ_INTERRUPTED, `Reading ${object} was cut off: ${message}`, { cause: error });
}

/** Throws MalformedOutputError if the summary is not the documented JSON; S3 errors pass through. */
export async function readManifestSummary(s3: S3Client, location: S3Location): Promise<ManifestStatistics> {
  return parseManifestSummary(await readSmallObject(s3, location, MAX_SUMMARY_BYTES, 'manifest summary'));
}

/** The whole text of an object expected to be small; larger than `maxBytes`: a MalformedOutputError naming `what`. */
export async function readSmallObject(s3: S3Client, location: S3Location, maxBytes: number, what: string): Promise<string> {
  const body = await openObject(s3, location);
  try {
    return await readAtMost(body, maxBytes, what);
  } catch (error) {
    throw readInterrupted(error, location);
  }
}

export function parseManifestSummary(text: string): ManifestStatistics {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MalformedOutputError(`manifest summary is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(document) || !isRecord(document.statistics)) {
    throw new MalformedOutputError('manifest summary has no statistics object');
  }
  const statistics = document.statistics;
  const count = (field: string): number => {
    const value = statistics[field];
    if (!isCount(value)) {
      throw new MalformedOutputError(`manifest summary statistics.${field} is not a non-negative integer`);
    }
    return value;
  };
  const errors = document.errors ?? [];
  if (!Array.isArray(errors)) {
    throw new MalformedOutputError('manifest summary errors is not a list');
  }
  return {
    totalLines: count('total-json-lines'),
    validLines: count('valid-json-lines'),
    invalidLines: count('invalid-json-lines'),
    errorCount: errors.length,
    errors: errors.slice(0, MAX_REPORTED_ERRORS).map(toLineError),
  };
}

/**
 * Parses the results file lazily: a line is read from the stream only when the caller asks for
 * it. A stream that breaks off fails with READ_INTERRUPTED.
 */
export async function* readResultLines(body: Readable, source?: S3Location): AsyncGenerator<ResultLine> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    // Only the stream's own errors reach this catch: the caller's (while it holds a line) do not.
    for await (const text of lines) {
      lineNumber += 1;
      if (text.trim() !== '') {
        yield parseResultLine(text, lineNumber);
      }
    }
  } catch (error) {
    throw readInterrupted(error, source);
  } finally {
    lines.close();
    body.destroy();
  }
}

export function parseResultLine(text: string, lineNumber: number): ResultLine {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', lineNumber, reason: 'not JSON' };
  }
  if (!isRecord(document)) {
    return { kind: 'unreadable', lineNumber, reason: 'not a JSON object' };
  }
  const sourceRef = typeof document['source-ref'] === 'string' ? document['source-ref'] : null;
  const analysis = document['detect-moderation-labels'];
  if (analysis === undefined || analysis === null) {
    return { kind: 'unanalyzed', lineNumber, sourceRef };
  }
  if (!isRecord(analysis) || !Array.isArray(analysis.ModerationLabels)) {
    return { kind: 'unreadable', lineNumber, reason: 'detect-moderation-labels has no ModerationLabels list' };
  }
  const labels = analysis.ModerationLabels.flatMap(toModerationLabel);
  return { kind: 'analyzed', lineNumber, sourceRef, labels };
}

/** Distinct names of the labels at or above the threshold, in Rekognition's order. */
export function labelsAtOrAbove(labels: ModerationLabel[], minConfidence: number): string[] {
  return [...new Set(labels.filter((label) => label.Confidence >= minConfidence).map((label) => label.Name))];
}

/**
 * The top-level category a label belongs to, found through the image's own labels. A label is
 * top-level when it has no parent or TaxonomyLevel 1. When the parent is not among the image's
 * labels: a level-2 label's parent is top-level by definition of the taxonomy, so it is used;
 * for a level-3 (or unlevelled) label the top level is unknowable, so the label itself counts
 * rather than a guessed ancestor.
 */
export function topLevelName(label: ModerationLabel, imageLabels: ReadonlyMap<string, ModerationLabel>): string {
  let current = label;
  // The taxonomy has three levels; the bound also stops a malformed cycle.
  for (let step = 0; step < 3; step++) {
    if (current.ParentName === '' || current.TaxonomyLevel === 1) {
      return current.Name;
    }
    const parent = imageLabels.get(current.ParentName);
    if (!parent || parent === current) {
      return current.TaxonomyLevel === 2 ? current.ParentName : current.Name;
    }
    current = parent;
  }
  return current.Name;
}

/** Counts images, flagged images and flagged images per top-level label, one line at a time. */
export class ModerationTally {
  private analyzed = 0;
  private flagged = 0;
  private unreadable = 0;
  private readonly labels = new Map<string, number>();

  constructor(public readonly minConfidence: number = DEFAULT_MIN_CONFIDENCE) {}

  /** Counts the line; returns its flagged-list entry if the image is flagged. */
  add(line: ResultLine): FlaggedImage | null {
    if (line.kind === 'unreadable') {
      this.unreadable += 1;
      return null;
    }
    if (line.kind === 'unanalyzed') {
      return null;
    }
    this.analyzed += 1;
    const names = labelsAtOrAbove(line.labels, this.minConfidence);
    if (names.length === 0) {
      return null;
    }
    this.flagged += 1;
    const byName = new Map(line.labels.map((label) => [label.Name, label]));
    const topLevels = new Set(
      line.labels.filter((label) => label.Confidence >= this.minConfidence).map((label) => topLevelName(label, byName)),
    );
    for (const name of topLevels) {
      this.labels.set(name, (this.labels.get(name) ?? 0) + 1);
    }
    return { 'source-ref': line.sourceRef, labels: names };
  }

  statistics(): ModerationStatistics {
    return {
      minConfidence: this.minConfidence,
      imagesAnalyzed: this.analyzed,
      imagesFlagged: this.flagged,
      labels: Object.fromEntries(this.labels),
      unreadableLines: this.unreadable,
    };
  }
}

/**
 * Streams the results file through a tally, handing each flagged image to `onFlagged` as it is
 * found (awaited, so a slow writer slows the reading instead of piling up lines).
 */
export async function scanResults(
  body: Readable,
  minConfidence: number,
  onFlagged: (image: FlaggedImage) => void | Promise<void>,
  source?: S3Location,
): Promise<ResultsScan> {
  const tally = new ModerationTally(minConfidence);
  let firstUnreadable: ResultsScan['firstUnreadable'] = null;
  for await (const line of readResultLines(body, source)) {
    if (line.kind === 'unreadable') {
      firstUnreadable ??= { lineNumber: line.lineNumber, reason: line.reason };
    }
    const flagged = tally.add(line);
    if (flagged) {
      await onFlagged(flagged);
    }
  }
  return { moderation: tally.statistics(), firstUnreadable };
}

async function readAtMost(body: Readable, maxBytes: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array);
    size += buffer.length;
    if (size > maxBytes) {
      throw new MalformedOutputError(`${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toLineError(entry: unknown): ManifestLineError {
  const error = isRecord(entry) ? entry : {};
  // The documented key is misspelled 'line-numer'; a corrected spelling may follow.
  const lineNumber = error['line-numer'] ?? error['line-number'];
  return {
    lineNumber: isCount(lineNumber) ? lineNumber : null,
    sourceRef: typeof error['source-ref'] === 'string' ? error['source-ref'] : null,
    code: typeof error.code === 'string' && error.code !== '' ? error.code : 'UNKNOWN',
    message: typeof error.message === 'string' ? error.message : '',
  };
}

function toModerationLabel(entry: unknown): ModerationLabel[] {
  if (!isRecord(entry) || typeof entry.Name !== 'string' || entry.Name === '' || !Number.isFinite(entry.Confidence)) {
    return [];
  }
  return [{
    Name: entry.Name,
    ParentName: typeof entry.ParentName === 'string' ? entry.ParentName : '',
    Confidence: entry.Confidence as number,
    ...(Number.isInteger(entry.TaxonomyLevel) && { TaxonomyLevel: entry.TaxonomyLevel as number }),
  }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}
