import { itemsPerBatch } from '../../../lambda/per-image/per-image-batching';

describe('itemsPerBatch', () => {
  test.each([
    // lines, concurrency, max -> items per batch (batches)
    [1000, 10, 50, 50], // 20 batches: 2 full waves
    [600, 10, 50, 30], // 20 batches of 30 rather than 12 of 50 (a last wave of 2)
    [50, 10, 50, 5], // one wave of 10 batches
    [7, 10, 50, 1],
    [10_000, 1, 50, 50],
    [10_000, 200, 50, 50],
    [1, 1, 30, 1],
  ])('%d lines over %d children, at most %d each: %d', (lines, concurrency, max, expected) => {
    expect(itemsPerBatch(lines, concurrency, max)).toBe(expected);
  });

  test('never exceeds the maximum, and leaves at most one wave short', () => {
    for (const lines of [1, 9, 99, 501, 999, 1001, 4321, 10_000]) {
      for (const concurrency of [1, 3, 10, 37]) {
        const size = itemsPerBatch(lines, concurrency, 50);
        const batches = Math.ceil(lines / size);
        expect(size).toBeLessThanOrEqual(50);
        const waves = Math.ceil(batches / concurrency);
        // the batches fill all but the last wave, and the last wave is at least as full as the others need
        expect(waves).toBe(Math.ceil(lines / (concurrency * 50)));
      }
    }
  });

  test('answers 1 for no lines', () => {
    expect(itemsPerBatch(0, 10, 50)).toBe(1);
  });
});
