import { ConfigError } from '../../../lib/common/contract/environment';
import {
  batchEnvironment,
  DEFAULT_MAX_FAILURE_SHARE,
  DEFAULT_MAX_ROUNDS,
  failureShareProblem,
  finalizeEnvironment,
  imagesPerSecondProblem,
  MAX_BATCH_ITEMS,
  prepareEnvironment,
  readBatchSettings,
  readFinalizeSettings,
  readPrepareSettings,
  sizePerImageRun,
} from '../../../lib/per-image/per-image-contract';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ADAPTER = 'arn:aws:rekognition:us-east-1:111122223333:project/p/version/v1/1700000000000';

describe('the settings each handler reads back are the ones the construct wrote', () => {
  test.each([
    ['prepare', () => readPrepareSettings(prepareEnvironment({ kmsKeyId: KEY_ARN, mapConcurrency: 4, maxItemsPerBatch: 30 })),
      { kmsKeyId: KEY_ARN, mapConcurrency: 4, maxItemsPerBatch: 30 }],
    ['batch', () => readBatchSettings(batchEnvironment({ callsPerSecond: 2.5, maxInFlight: 5, minConfidence: 0, projectVersion: ADAPTER, kmsKeyId: KEY_ARN })),
      { callsPerSecond: 2.5, maxInFlight: 5, minConfidence: 0, projectVersion: ADAPTER, kmsKeyId: KEY_ARN }],
    ['finalize', () => readFinalizeSettings(finalizeEnvironment({ mapConcurrency: 2, maxItemsPerBatch: 50, maxFailureShare: 0.25, maxRounds: 4 })),
      { mapConcurrency: 2, maxItemsPerBatch: 50, maxFailureShare: 0.25, maxRounds: 4 }],
  ])('%s', (_name, roundTrip, expected) => {
    expect(roundTrip()).toEqual(expected);
  });

  test('optional settings left out are absent on both sides', () => {
    const environment = batchEnvironment({ callsPerSecond: 5, maxInFlight: 10 });
    expect(Object.keys(environment).sort()).toEqual(['CALLS_PER_SECOND', 'MAX_IN_FLIGHT']);
    expect(readBatchSettings(environment)).toEqual({ callsPerSecond: 5, maxInFlight: 10 });
  });
});

describe('defaults of settings the environment leaves out', () => {
  test('finalize: the failure share and rounds the engine defaults to', () => {
    expect(readFinalizeSettings({})).toEqual({ maxFailureShare: DEFAULT_MAX_FAILURE_SHARE, maxRounds: DEFAULT_MAX_ROUNDS, mapConcurrency: 1, maxItemsPerBatch: MAX_BATCH_ITEMS });
    expect([DEFAULT_MAX_FAILURE_SHARE, DEFAULT_MAX_ROUNDS]).toEqual([0.1, 3]);
  });

  test('batch: calls in flight as the sizing derives them from the rate', () => {
    expect(readBatchSettings({ CALLS_PER_SECOND: '2.5' }).maxInFlight).toBe(5);
    expect(readBatchSettings({ CALLS_PER_SECOND: '3.5' }).maxInFlight).toBe(sizePerImageRun(7).maxInFlight);
  });
});

describe('readers fail with a ConfigError naming the variable and the value given', () => {
  test.each([
    [() => readBatchSettings({}), /CALLS_PER_SECOND is required/],
    [() => readBatchSettings({ CALLS_PER_SECOND: 'fast' }), /CALLS_PER_SECOND must be a number of at least 1 \(given "fast"\)/],
    [() => readBatchSettings({ CALLS_PER_SECOND: '5', MAX_IN_FLIGHT: '0' }), /MAX_IN_FLIGHT must be a whole number of at least 1 \(given "0"\)/],
    [() => readBatchSettings({ CALLS_PER_SECOND: '5', MIN_CONFIDENCE: '101' }), /MIN_CONFIDENCE must be a number from 0 to 100 \(given "101"\)/],
    [() => readFinalizeSettings({ MAX_FAILURE_SHARE: '1.5' }), /MAX_FAILURE_SHARE must be a number from 0 to 1 \(given "1.5"\)/],
    [() => readFinalizeSettings({ MAX_ROUNDS: '2.5' }), /MAX_ROUNDS must be a whole number of at least 1 \(given "2.5"\)/],
    [() => readPrepareSettings({ MAP_CONCURRENCY: '0' }), /MAP_CONCURRENCY must be a whole number from 1 to 1000 \(given "0"\)/],
    [() => readPrepareSettings({ MAX_ITEMS_PER_BATCH: '51' }), /MAX_ITEMS_PER_BATCH must be a whole number from 1 to 50 \(given "51"\)/],
  ])('%#', (read, message) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

describe('limits', () => {
  test('imagesPerSecond: 1 to 1000', () => {
    expect([0, 1, 1000, 1001, NaN].map(imagesPerSecondProblem)).toEqual([
      'must be a number from 1 to 1000', undefined, undefined, 'must be a number from 1 to 1000', 'must be a number from 1 to 1000',
    ]);
  });

  test('maxFailureShare: 0 to 1', () => {
    expect([-0.1, 0, 1, 1.1].map(failureShareProblem)).toEqual(['must be a number from 0 to 1', undefined, undefined, 'must be a number from 0 to 1']);
  });
});

describe('sizePerImageRun', () => {
  test.each([1, 5, 7, 12, 50, 999, 1000])('spreads %d images per second over children paced at most 5 per second, with readable settings', (rate) => {
    const sizing = sizePerImageRun(rate);
    expect(sizing.maxConcurrency * sizing.callsPerSecondPerChild).toBeCloseTo(rate);
    expect(sizing.callsPerSecondPerChild).toBeLessThanOrEqual(5);
    const settings = readBatchSettings(batchEnvironment({ callsPerSecond: sizing.callsPerSecondPerChild, maxInFlight: sizing.maxInFlight }));
    expect(settings.callsPerSecond).toBeCloseTo(sizing.callsPerSecondPerChild);
    expect(readPrepareSettings(prepareEnvironment({ mapConcurrency: sizing.maxConcurrency, maxItemsPerBatch: sizing.itemsPerBatch })))
      .toEqual({ mapConcurrency: sizing.maxConcurrency, maxItemsPerBatch: sizing.itemsPerBatch });
  });
});
