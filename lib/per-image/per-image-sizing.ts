/**
 * How the per-image workflow spreads a target rate over the Distributed Map's children.
 *
 * One child (one batch Lambda) is paced at no more than PER_CHILD_CALLS_PER_SECOND: with
 * DetectModerationLabels answering in ~0.2-1 s, that keeps a few calls in flight, well within
 * one function. MaxConcurrency then makes the children's rates add up to the target:
 * maxConcurrency x callsPerSecondPerChild = imagesPerSecond. Batches are sized to take at most
 * BATCH_SECONDS at that pace, which leaves most of an Express child's 5 minutes for retrying
 * throttled calls, and at most MAX_BATCH_ITEMS, which keeps a batch's results under Step
 * Functions' 256 KiB payload limit in all but extreme cases (those spill to S3).
 */
export const PER_CHILD_CALLS_PER_SECOND = 5;
export const BATCH_SECONDS = 30;
export const MAX_BATCH_ITEMS = 50;
/** Distributed Map's MaxConcurrency is at most 10,000; Lambda's default concurrency quota is 1,000. */
export const MAX_CONCURRENCY = 1000;

export interface PerImageSizing {
  /** The Distributed Map's MaxConcurrency. */
  readonly maxConcurrency: number;
  /** DetectModerationLabels calls per second of one child. */
  readonly callsPerSecondPerChild: number;
  /** Items per batch at most (each round's batches are sized within it, see lambda/shared/per-image-batching.ts). */
  readonly itemsPerBatch: number;
  /** Calls one child keeps in flight at most. */
  readonly maxInFlight: number;
}

export function sizePerImageRun(imagesPerSecond: number): PerImageSizing {
  const maxConcurrency = Math.min(MAX_CONCURRENCY, Math.max(1, Math.ceil(imagesPerSecond / PER_CHILD_CALLS_PER_SECOND)));
  const callsPerSecondPerChild = imagesPerSecond / maxConcurrency;
  return {
    maxConcurrency,
    callsPerSecondPerChild,
    itemsPerBatch: Math.max(1, Math.min(MAX_BATCH_ITEMS, Math.floor(callsPerSecondPerChild * BATCH_SECONDS))),
    // Up to 2 s per call at the child's pace, never fewer than 2.
    maxInFlight: Math.min(64, Math.max(2, Math.ceil(callsPerSecondPerChild * 2))),
  };
}
