import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildCompletionDetail,
  JobOutcome,
  startFailureOutcome,
  toDate,
} from '../../../lambda/tracking/completion-event';
import { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE, type ManifestStatistics } from '../../../lib/events/completion-event-contract';
import { schemaErrors } from '../../support/event-schema';
import { COMPLETED_AT, CREATED_AT, OUTPUT_BUCKET, OUTPUT_PREFIX, RESULTS_KEY, SUMMARY_KEY, TOKEN, trackingInput } from '../../support/result-fixtures';

const succeeded: JobOutcome = {
  status: 'SUCCEEDED',
  failure: null,
  results: { bucket: OUTPUT_BUCKET, key: RESULTS_KEY },
  summary: { bucket: OUTPUT_BUCKET, key: SUMMARY_KEY },
  flaggedImages: { bucket: OUTPUT_BUCKET, key: `${OUTPUT_PREFIX}/flagged-images.jsonl` },
  statistics: { totalLines: 3, validLines: 3, invalidLines: 0, errorCount: 0, errors: [] },
  moderation: { minConfidence: 50, imagesAnalyzed: 3, imagesFlagged: 1, labels: { Violence: 1 }, unreadableLines: 0 },
  createdAt: CREATED_AT,
  completedAt: COMPLETED_AT,
};

describe('buildCompletionDetail', () => {
  test('describes a succeeded job in full', () => {
    // WHEN
    const detail = buildCompletionDetail(trackingInput({ minConfidence: 50 }), succeeded, 'pipeline-1');

    // THEN
    expect(detail).toEqual({
      version: '1',
      pipeline: 'pipeline-1',
      engine: 'bulk',
      fallbackReason: null,
      jobId: 'job-0123456789abcdef',
      jobName: 'moderation-batch-1',
      token: TOKEN,
      status: 'SUCCEEDED',
      manifest: { bucket: 'uploads', key: 'manifests/batch-1.jsonl', version: 'v1' },
      failure: null,
      output: {
        bucket: OUTPUT_BUCKET,
        prefix: OUTPUT_PREFIX,
        results: `s3://${OUTPUT_BUCKET}/${RESULTS_KEY}`,
        summary: `s3://${OUTPUT_BUCKET}/${SUMMARY_KEY}`,
        flaggedImages: `s3://${OUTPUT_BUCKET}/${OUTPUT_PREFIX}/flagged-images.jsonl`,
        errorReport: null,
      },
      statistics: succeeded.statistics,
      moderation: succeeded.moderation,
      timing: { createdAt: '2026-05-04T10:00:00.000Z', completedAt: '2026-05-04T10:12:30.500Z', durationSeconds: 750.5 },
    });
    expect(schemaErrors(detail)).toEqual([]);
  });

  test('describes a manifest that never started, with its error report', () => {
    // GIVEN
    const input = trackingInput({
      jobId: undefined,
      manifest: { bucket: 'uploads', key: 'm.jsonl' },
      engine: 'per-image',
      fallbackReason: 'bulk analysis is not available to this account',
      startFailure: { code: 'InvalidManifestException', message: 'The manifest is empty', errorReport: 's3://moderation-output/errors/m.json' },
    });

    // WHEN
    const detail = buildCompletionDetail(input, startFailureOutcome(input));

    // THEN
    expect(detail).toMatchObject({
      pipeline: null,
      engine: 'per-image',
      fallbackReason: 'bulk analysis is not available to this account',
      jobId: null,
      status: 'FAILED',
      manifest: { version: null },
      failure: { code: 'InvalidManifestException', message: 'The manifest is empty', stage: 'START' },
      output: { results: null, summary: null, flaggedImages: null, errorReport: 's3://moderation-output/errors/m.json' },
      statistics: null,
      moderation: null,
      timing: { createdAt: null, completedAt: null, durationSeconds: null },
    });
    expect(schemaErrors(detail)).toEqual([]);
  });

  test('accepts timestamps as ISO strings or epoch seconds', () => {
    const detail = buildCompletionDetail(trackingInput(), {
      ...succeeded,
      createdAt: '2026-05-04T10:00:00Z',
      completedAt: Date.parse('2026-05-04T11:00:00Z') / 1000,
    });

    expect(detail.timing).toEqual({ createdAt: '2026-05-04T10:00:00.000Z', completedAt: '2026-05-04T11:00:00.000Z', durationSeconds: 3600 });
  });

  test('gives no duration when a timestamp is missing or unreadable', () => {
    const detail = buildCompletionDetail(trackingInput(), { ...succeeded, createdAt: 'yesterday', completedAt: undefined });

    expect(detail.timing).toEqual({ createdAt: null, completedAt: null, durationSeconds: null });
  });

  test('stays far below EventBridge\'s 256 KB with every field at its worst', () => {
    // GIVEN the longest names S3 and Rekognition allow, and oversized texts from outside
    const long = (length: number, char = 'x') => char.repeat(length);
    const key = long(1024, 'k');
    const statistics: ManifestStatistics = {
      totalLines: 10_000,
      validLines: 0,
      invalidLines: 10_000,
      errorCount: 10_000,
      errors: Array.from({ length: 10_000 }, (_, index) => ({
        lineNumber: index + 1,
        sourceRef: `s3://${long(63, 'b')}/${key}`,
        code: long(1000, 'C'),
        message: long(100_000, 'm'),
      })),
    };
    const labels = Object.fromEntries(Array.from({ length: 5_000 }, (_, index) => [`${index}${long(300, 'L')}`, index]));
    const input = trackingInput({
      jobName: long(64, 'j'),
      manifest: { bucket: long(63, 'b'), key, version: long(1024, 'v') },
      output: { bucket: long(63, 'o'), prefix: long(800, 'p') },
      fallbackReason: long(100_000, 'r'),
    });

    // WHEN
    const detail = buildCompletionDetail(input, {
      ...succeeded,
      failure: { code: long(10_000, 'F'), message: long(1_000_000, 'M'), stage: 'JOB' },
      results: { bucket: long(63, 'o'), key },
      summary: { bucket: long(63, 'o'), key },
      flaggedImages: { bucket: long(63, 'o'), key },
      statistics,
      moderation: { minConfidence: 50, imagesAnalyzed: 10_000, imagesFlagged: 10_000, labels, unreadableLines: 0 },
    }, long(5_000, 'P'));

    // THEN
    const size = Buffer.byteLength(JSON.stringify(detail));
    expect(size).toBeLessThan(64 * 1024);
    expect(detail.statistics?.errors).toHaveLength(10);
    expect(Object.keys(detail.moderation?.labels ?? {})).toHaveLength(100);
    expect(Math.max(...Object.keys(detail.moderation?.labels ?? {}).map((name) => name.length))).toBe(256);
    expect(Math.min(...Object.values(detail.moderation?.labels ?? {}))).toBe(4_900);
    expect(schemaErrors(detail)).toEqual([]);
  });

  test('keeps a label named like an object property as an ordinary key', () => {
    const labels = JSON.parse('{"__proto__": 2, "constructor": 1}');

    const detail = buildCompletionDetail(trackingInput(), { ...succeeded, moderation: { ...succeeded.moderation!, labels } });

    expect(JSON.parse(JSON.stringify(detail.moderation?.labels))).toEqual(JSON.parse('{"__proto__": 2, "constructor": 1}'));
    expect(Object.getPrototypeOf(detail.moderation?.labels)).toBe(Object.prototype);
  });

  test('does not split a surrogate pair when it shortens a text', () => {
    const message = `${'a'.repeat(2046)}😀😀`;

    const detail = buildCompletionDetail(trackingInput(), { ...succeeded, status: 'FAILED', failure: { code: 'X', message, stage: 'JOB' } });

    expect(detail.failure?.message).toBe(`${'a'.repeat(2046)}…`);
    expect(detail.failure?.message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  test('the failure code defaults to UNKNOWN for a start failure without one', () => {
    const input = trackingInput({ jobId: undefined, startFailure: { code: '', message: 'no code' } });

    expect(startFailureOutcome(input).failure).toEqual({ code: 'UNKNOWN', message: 'no code', stage: 'START' });
  });
});

describe('toDate', () => {
  test.each([
    [new Date('2026-01-01T00:00:00Z'), '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T00:00:00+01:00', '2025-12-31T23:00:00.000Z'],
    [1767225600, '2026-01-01T00:00:00.000Z'],
    [1767225600.25, '2026-01-01T00:00:00.250Z'],
  ])('reads %p', (value, iso) => {
    expect(toDate(value)?.toISOString()).toBe(iso);
  });

  test.each([[undefined], [null], [''], ['not a date'], [Number.NaN], [new Date('invalid')]])('gives null for %p', (value) => {
    expect(toDate(value)).toBeNull();
  });
});

describe('docs', () => {
  const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'sample-event.json'), 'utf8'));

  test('the sample event carries the published source and detail-type', () => {
    expect(sample.source).toBe(MODERATION_EVENT_SOURCE);
    expect(sample['detail-type']).toBe(JOB_COMPLETED_DETAIL_TYPE);
  });

  test('the sample detail conforms to the schema', () => {
    expect(schemaErrors(sample.detail)).toEqual([]);
  });

  test('the sample detail has the shape the builder produces', () => {
    const built = buildCompletionDetail(trackingInput(), succeeded, 'p');
    const shape = (value: unknown): unknown =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, key === 'labels' ? 'map' : shape((value as Record<string, unknown>)[key])]))
        : Array.isArray(value) ? 'list' : typeof value;
    expect(shape(sample.detail)).toEqual(shape(built));
  });

  test('the schema rejects a detail with a missing or misspelt field', () => {
    const detail = buildCompletionDetail(trackingInput(), succeeded);
    const { moderation, ...withoutModeration } = detail;
    void moderation;

    expect(schemaErrors(withoutModeration)).not.toEqual([]);
    expect(schemaErrors({ ...detail, statistic: detail.statistics })).not.toEqual([]);
    expect(schemaErrors({ ...detail, status: 'DONE' })).not.toEqual([]);
    expect(schemaErrors({ ...detail, output: { ...detail.output, results: 'https://example.com/x' } })).not.toEqual([]);
  });
});
