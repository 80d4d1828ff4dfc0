/**
 * Items per batch for a round of `lines` images: as many as allowed (fewer batches, fewer
 * transitions), but spread so the round splits into whole waves of `maxConcurrency` batches.
 * Every child is paced at its share of the target rate, so the rate is reached only while all
 * `maxConcurrency` children run: a last wave of a few batches would run at a fraction of it.
 */
export function itemsPerBatch(lines: number, maxConcurrency: number, maxItems: number): number {
  if (lines <= 0) return 1;
  const waves = Math.ceil(lines / (maxConcurrency * maxItems));
  return Math.max(1, Math.min(maxItems, Math.ceil(lines / (waves * maxConcurrency))));
}
