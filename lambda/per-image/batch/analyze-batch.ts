import type { ImageItem, LineError, LineResult, ModerationResult } from '../../../lib/per-image/per-image-workflow-contract';
import { classifyDetectError } from './detect-errors';
import { backoffDelayMs, type Clock, Pacer, systemClock } from './pacer';

export interface AnalyzeOptions {
  /** Calls DetectModerationLabels for one image; throws the SDK's errors. */
  detect(item: ImageItem): Promise<ModerationResult>;
  pacer: Pacer;
  /** Epoch ms after which no call starts: the lines left are handed back for the next round. */
  deadline: number;
  /** Calls in flight at most. */
  maxInFlight: number;
  clock?: Clock;
  random?: () => number;
  /** Backoff of throttled and transient retries. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Attempts of one image on transient errors before it is left for the next round. */
  transientAttempts?: number;
}

export interface BatchStatistics {
  calls: number;
  analyzed: number;
  refused: number;
  /** Lines handed back for the next round. */
  deferred: number;
  throttledCalls: number;
  transientErrors: number;
}

export interface AnalyzedBatch {
  /** One per item, in the items' order. */
  results: LineResult[];
  statistics: BatchStatistics;
}

const NOT_REACHED: LineError = {
  code: 'NOT_ANALYZED_IN_TIME',
  message: 'The batch ran out of time before this image could be analysed; a later round retries it',
};

/**
 * Analyses a batch of images at the pacer's rate, `maxInFlight` calls at a time. Throttled calls
 * are retried (through the pacer, after a jittered backoff) for as long as the deadline allows:
 * a line is never recorded as failed because of throttling, only handed back (`retry`) when
 * time runs out. Images Rekognition refuses become line errors.
 */
export async function analyzeBatch(items: ImageItem[], options: AnalyzeOptions): Promise<AnalyzedBatch> {
  const clock = options.clock ?? systemClock;
  const statistics: BatchStatistics = { calls: 0, analyzed: 0, refused: 0, deferred: 0, throttledCalls: 0, transientErrors: 0 };
  const results: LineResult[] = new Array(items.length);
  let next = 0;

  const analyzeOne = async (item: ImageItem): Promise<LineResult> => {
    let throttles = 0;
    let transients = 0;
    let last: LineError = NOT_REACHED;
    for (;;) {
      if (!(await options.pacer.acquire(options.deadline))) {
        return { line: item.line, retry: last };
      }
      statistics.calls += 1;
      try {
        return { line: item.line, labels: await options.detect(item) };
      } catch (error) {
        const failure = classifyDetectError(error);
        const reason = { code: failure.code, message: failure.message };
        let attempt: number;
        if (failure.kind === 'refused') {
          return { line: item.line, error: reason };
        } else if (failure.kind === 'throttled') {
          statistics.throttledCalls += 1;
          attempt = ++throttles;
        } else if (failure.kind === 'transient') {
          statistics.transientErrors += 1;
          attempt = ++transients;
          if (transients >= (options.transientAttempts ?? 4)) {
            return { line: item.line, retry: reason };
          }
        } else {
          return { line: item.line, retry: reason };
        }
        last = reason;
        const delay = backoffDelayMs(attempt, options.backoffBaseMs ?? 200, options.backoffCapMs ?? 10_000, options.random);
        if (clock.now() + delay > options.deadline) {
          return { line: item.line, retry: last };
        }
        await clock.sleep(delay);
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const result = await analyzeOne(items[index]);
      results[index] = result;
      if ('labels' in result) statistics.analyzed += 1;
      else if ('error' in result) statistics.refused += 1;
      else statistics.deferred += 1;
    }
  };

  const workers = Math.max(1, Math.min(options.maxInFlight, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return { results, statistics };
}
