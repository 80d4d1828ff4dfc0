import type { ImageItem, InvalidLine, LineError } from '../../../lib/per-image/per-image-workflow-contract';
import type { LineOutcome } from './line-outcomes';

/** One error of the manifest summary, in the bulk format (with the documented key spelling). */
export interface SummaryError {
  'line-numer': number;
  'source-ref'?: string;
  code: string;
  message: string;
}

/** The manifest summary in the bulk format. */
export interface ManifestSummary {
  version: '1.0';
  statistics: { 'total-json-lines': number; 'valid-json-lines': number; 'invalid-json-lines': number };
  errors: SummaryError[];
}

/** The output line of an image line: with detect-moderation-labels when it was analysed. */
export function imageOutputLine(item: ImageItem, outcome: LineOutcome | undefined): string {
  const sourceRef = JSON.stringify(item.sourceRef);
  return outcome?.kind === 'analyzed'
    ? `{"source-ref":${sourceRef},"detect-moderation-labels":${outcome.labels}}`
    : `{"source-ref":${sourceRef}}`;
}

/** A line that names no image keeps its place in the output, empty. */
export const INVALID_OUTPUT_LINE = '{}';

export function imageError(item: ImageItem, error: LineError): SummaryError {
  return { 'line-numer': item.line, 'source-ref': item.sourceRef, code: error.code, message: error.message };
}

export function invalidLineError(line: InvalidLine): SummaryError {
  return {
    'line-numer': line.line,
    ...(line.sourceRef !== undefined && { 'source-ref': line.sourceRef }),
    code: line.code,
    message: line.message,
  };
}

/**
 * Merges two streams sorted by line number (the image lines and the invalid lines, both in
 * manifest order) into one, in manifest order.
 */
export async function* mergeByLine<A extends { line: number }, B extends { line: number }>(
  left: AsyncIterable<A>,
  right: AsyncIterable<B>,
): AsyncGenerator<{ side: 'left'; value: A } | { side: 'right'; value: B }> {
  const a = left[Symbol.asyncIterator]();
  const b = right[Symbol.asyncIterator]();
  let nextA = await a.next();
  let nextB = await b.next();
  while (!nextA.done || !nextB.done) {
    if (!nextA.done && (nextB.done || nextA.value.line <= nextB.value.line)) {
      yield { side: 'left', value: nextA.value };
      nextA = await a.next();
    } else if (!nextB.done) {
      yield { side: 'right', value: nextB.value };
      nextB = await b.next();
    }
  }
}
