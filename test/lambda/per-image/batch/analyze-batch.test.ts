import { analyzeBatch, type AnalyzeOptions } from '../../../../lambda/per-image/batch/analyze-batch';
import { Pacer } from '../../../../lambda/per-image/batch/pacer';
import type { ImageItem, ModerationResult } from '../../../../lib/per-image/per-image-workflow-contract';
import { VirtualClock } from '../../../support/per-image/virtual-clock';

const LABELS: ModerationResult = { ModerationLabels: [{ Name: 'Violence', ParentName: '', Confidence: 91.3, TaxonomyLevel: 1 }], ModerationModelVersion: '7.0', ContentTypes: [] };

function items(count: number, first = 1): ImageItem[] {
  return Array.from({ length: count }, (_, i) => ({ line: first + i, bucket: 'images', key: `img-${first + i}.jpg`, sourceRef: `s3://images/img-${first + i}.jpg` }));
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} from the fake`), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** A fake DetectModerationLabels with `latencyMs` per call, enforcing `tps` per rolling second. */
function fakeRekognition(clock: VirtualClock, opts: { latencyMs?: number; tps?: number; answer?: (item: ImageItem, attempt: number) => ModerationResult | Error } = {}) {
  const calls: Array<{ at: number; line: number }> = [];
  const attempts = new Map<number, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const detect = async (item: ImageItem): Promise<ModerationResult> => {
    const at = clock.now();
    calls.push({ at, line: item.line });
    const attempt = (attempts.get(item.line) ?? 0) + 1;
    attempts.set(item.line, attempt);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await clock.sleep(opts.latencyMs ?? 100);
      if (opts.tps !== undefined && calls.filter((call) => call.at > at - 1000 && call.at <= at).length > opts.tps) {
        throw awsError('ThrottlingException');
      }
      const answer = opts.answer?.(item, attempt) ?? LABELS;
      if (answer instanceof Error) throw answer;
      return answer;
    } finally {
      inFlight -= 1;
    }
  };
  return { detect, calls, attempts, maxInFlight: () => maxInFlight };
}

function options(clock: VirtualClock, detect: AnalyzeOptions['detect'], overrides: Partial<AnalyzeOptions> = {}): AnalyzeOptions {
  return { detect, pacer: new Pacer(5, clock), deadline: clock.now() + 200_000, maxInFlight: 4, clock, random: () => 0.5, ...overrides };
}

describe('analyzeBatch', () => {
  test('analyses every image once, at the pacer\'s rate, with the results in item order', async () => {
    // GIVEN
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock, { latencyMs: 700 });

    // WHEN
    const batch = await clock.run(analyzeBatch(items(20), options(clock, rekognition.detect)));

    // THEN
    expect(batch.results.map((result) => result.line)).toEqual(items(20).map((item) => item.line));
    expect(batch.results.every((result) => 'labels' in result && result.labels === LABELS)).toBe(true);
    expect(rekognition.calls).toHaveLength(20);
    const gaps = rekognition.calls.slice(1).map((call, i) => call.at - rekognition.calls[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
    // 700 ms per call at 5/s needs 4 in flight, never more than allowed
    expect(rekognition.maxInFlight()).toBeLessThanOrEqual(4);
    expect(rekognition.calls[19].at).toBe(19 * 200);
    expect(batch.statistics).toMatchObject({ calls: 20, analyzed: 20, refused: 0, deferred: 0, throttledCalls: 0 });
  });

  test('records images Rekognition refuses as line errors, without retrying them', async () => {
    const clock = new VirtualClock(0);
    const refusals: Record<number, string> = { 2: 'InvalidImageFormatException', 4: 'ImageTooLargeException', 5: 'InvalidS3ObjectException', 6: 'AccessDeniedException' };
    const rekognition = fakeRekognition(clock, { answer: (item) => (refusals[item.line] ? awsError(refusals[item.line]) : LABELS) });

    const batch = await clock.run(analyzeBatch(items(6), options(clock, rekognition.detect)));

    expect(batch.results).toEqual([
      { line: 1, labels: LABELS },
      { line: 2, error: { code: 'INVALID_IMAGE_FORMAT', message: 'InvalidImageFormatException from the fake' } },
      { line: 3, labels: LABELS },
      { line: 4, error: { code: 'IMAGE_TOO_LARGE', message: 'ImageTooLargeException from the fake' } },
      { line: 5, error: { code: 'INVALID_S3_OBJECT', message: 'InvalidS3ObjectException from the fake' } },
      { line: 6, error: { code: 'ACCESS_DENIED', message: 'AccessDeniedException from the fake' } },
    ]);
    expect(rekognition.calls).toHaveLength(6);
  });

  test('retries throttled calls through the pacer until each image is analysed: none dropped', async () => {
    // GIVEN: the quota (3/s) is below the batch's pace (5/s): a steady throttling storm
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock, { tps: 3, latencyMs: 50 });

    // WHEN
    const batch = await clock.run(analyzeBatch(items(30), options(clock, rekognition.detect, { random: Math.random })));

    // THEN
    expect(batch.results.every((result) => 'labels' in result)).toBe(true);
    expect(batch.statistics.throttledCalls).toBeGreaterThan(0);
    expect(batch.statistics.calls).toBe(30 + batch.statistics.throttledCalls);
    // every call, retries included, went through the pacer
    const gaps = rekognition.calls.slice(1).map((call, i) => call.at - rekognition.calls[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
  });

  test('hands back, never fails, images still throttled when the deadline comes', async () => {
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock, { answer: (item) => (item.line % 2 === 0 ? awsError('ThrottlingException') : LABELS) });

    const batch = await clock.run(analyzeBatch(items(10), options(clock, rekognition.detect, { deadline: 30_000 })));

    const even = batch.results.filter((result) => result.line % 2 === 0);
    const odd = batch.results.filter((result) => result.line % 2 === 1);
    expect(odd.every((result) => 'labels' in result)).toBe(true);
    expect(even).toEqual(even.map((result) => ({ line: result.line, retry: { code: 'THROTTLED', message: 'ThrottlingException from the fake' } })));
    expect(clock.now()).toBeLessThanOrEqual(30_000 + 100);
    expect(batch.statistics.deferred).toBe(5);
    // each throttled image was tried more than once before time ran out
    for (let line = 2; line <= 10; line += 2) expect(rekognition.attempts.get(line)).toBeGreaterThan(1);
  });

  test('hands back images it never reached before the deadline', async () => {
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock);

    // 1/s for 10 images with 4.5 s of budget: the calls at 0..4 s fit, the rest do not start
    const batch = await clock.run(analyzeBatch(items(10), options(clock, rekognition.detect, { pacer: new Pacer(1, clock), deadline: 4500 })));

    expect(batch.results.filter((result) => 'labels' in result)).toHaveLength(5);
    expect(batch.results.filter((result) => 'retry' in result).map((result) => (result as any).retry.code)).toEqual(Array(5).fill('NOT_ANALYZED_IN_TIME'));
    expect(rekognition.calls).toHaveLength(5);
  });

  test('retries transient errors a few times, then hands the image back', async () => {
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock, {
      answer: (item, attempt) => {
        if (item.line === 1 && attempt < 3) return awsError('InternalServerError');
        if (item.line === 2) return awsError('InternalServerError');
        return LABELS;
      },
    });

    const batch = await clock.run(analyzeBatch(items(3), options(clock, rekognition.detect, { transientAttempts: 4 })));

    expect(batch.results[0]).toEqual({ line: 1, labels: LABELS });
    expect(batch.results[1]).toEqual({ line: 2, retry: { code: 'INTERNAL_ERROR', message: 'InternalServerError from the fake' } });
    expect(rekognition.attempts.get(2)).toBe(4);
    expect(batch.statistics.transientErrors).toBe(2 + 4);
  });

  test('leaves an unknown error to the next round', async () => {
    const clock = new VirtualClock(0);
    const rekognition = fakeRekognition(clock, { answer: () => awsError('BrandNewException') });

    const batch = await clock.run(analyzeBatch(items(1), options(clock, rekognition.detect)));

    expect(batch.results).toEqual([{ line: 1, retry: { code: 'BRAND_NEW', message: 'BrandNewException from the fake' } }]);
  });

  test('answers an empty batch with no results', async () => {
    const clock = new VirtualClock(0);
    const batch = await clock.run(analyzeBatch([], options(clock, fakeRekognition(clock).detect)));
    expect(batch.results).toEqual([]);
  });
});
