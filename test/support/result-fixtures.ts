import type { GetMediaAnalysisJobCommandOutput } from '@aws-sdk/client-rekognition';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { SdkStream } from '@smithy/types';
import { Readable } from 'node:stream';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';

// Builders for the objects a Rekognition bulk moderation job leaves behind, in the documented
// formats (results JSON Lines, manifest summary), and for the tracker's input.

export const TOKEN = 'a'.repeat(64);
export const JOB_ID = 'job-0123456789abcdef';
export const OUTPUT_BUCKET = 'moderation-output';
export const OUTPUT_PREFIX = `results/manifests/batch-1.jsonl/${TOKEN.slice(0, 12)}`;
export const RESULTS_KEY = `${OUTPUT_PREFIX}/${JOB_ID}/results/output.jsonl`;
export const SUMMARY_KEY = `${OUTPUT_PREFIX}/${JOB_ID}/results/manifest-summary.json`;

export interface LabelFixture {
  Name: string;
  Confidence: number;
  ParentName: string;
  TaxonomyLevel: number;
}

export function label(Name: string, Confidence: number, ParentName = '', TaxonomyLevel = ParentName === '' ? 1 : 2): LabelFixture {
  return { Name, Confidence, ParentName, TaxonomyLevel };
}

/** One results line; `labels` null means the image could not be analysed (no detect-moderation-labels). */
export function resultLine(sourceRef: string, labels: LabelFixture[] | null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    'source-ref': sourceRef,
    ...(labels && {
      'detect-moderation-labels': {
        ModerationLabels: labels,
        ModerationModelVersion: '7.0',
        ContentTypes: [{ Confidence: 72.7, Name: 'Animated' }],
      },
    }),
    ...extra,
  });
}

export function resultsFile(lines: string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

export interface SummaryError {
  line: number;
  sourceRef: string;
  code: string;
  message: string;
}

/** A manifest summary; `lineKey` picks the documented misspelling or the corrected one. */
export function summaryJson(
  statistics: { total: number; valid: number; invalid: number },
  errors: SummaryError[] = [],
  lineKey: 'line-numer' | 'line-number' = 'line-numer',
): string {
  return JSON.stringify({
    'version': '1.0',
    'statistics': {
      'total-json-lines': statistics.total,
      'valid-json-lines': statistics.valid,
      'invalid-json-lines': statistics.invalid,
    },
    'errors': errors.map((error) => ({
      [lineKey]: error.line,
      'source-ref': error.sourceRef,
      'code': error.code,
      'message': error.message,
    })),
  });
}

export function trackingInput(overrides: Partial<TrackingInput> = {}): TrackingInput {
  return {
    token: TOKEN,
    engine: 'bulk',
    manifest: { bucket: 'uploads', key: 'manifests/batch-1.jsonl', version: 'v1' },
    jobName: 'moderation-batch-1',
    jobId: JOB_ID,
    output: { bucket: OUTPUT_BUCKET, prefix: OUTPUT_PREFIX },
    ...overrides,
  };
}

export const CREATED_AT = new Date('2026-05-04T10:00:00.000Z');
export const COMPLETED_AT = new Date('2026-05-04T10:12:30.500Z');

/** GetMediaAnalysisJob's answer for a finished job with both output objects. */
export function finishedJob(overrides: Partial<GetMediaAnalysisJobCommandOutput> = {}): GetMediaAnalysisJobCommandOutput {
  return {
    $metadata: {},
    JobId: JOB_ID,
    JobName: 'moderation-batch-1',
    Status: 'SUCCEEDED',
    OperationsConfig: { DetectModerationLabels: {} },
    Input: { S3Object: { Bucket: 'uploads', Name: 'manifests/batch-1.jsonl' } },
    OutputConfig: { S3Bucket: OUTPUT_BUCKET, S3KeyPrefix: OUTPUT_PREFIX },
    CreationTimestamp: CREATED_AT,
    CompletionTimestamp: COMPLETED_AT,
    Results: { S3Object: { Bucket: OUTPUT_BUCKET, Name: RESULTS_KEY }, ModelVersions: { Moderation: '7.0' } },
    ManifestSummary: { S3Object: { Bucket: OUTPUT_BUCKET, Name: SUMMARY_KEY } },
    ...overrides,
  };
}

/** A GetObject Body as the SDK returns it in Node: a Readable with the SDK's helpers mixed in. */
export function s3Body(content: string | Readable): SdkStream<Readable> {
  const stream = typeof content === 'string' ? Readable.from([Buffer.from(content)]) : content;
  return sdkStreamMixin(stream) as SdkStream<Readable>;
}

export interface LazyLines {
  readonly stream: Readable;
  /** Lines handed to the stream so far. */
  produced(): number;
}

/** A results file generated one line at a time, only as fast as its reader pulls. */
export function lazyLines(count: number, line: (index: number) => string): LazyLines {
  let produced = 0;
  function* generate() {
    for (let index = 0; index < count; index++) {
      produced += 1;
      yield Buffer.from(`${line(index)}\n`);
    }
  }
  return { stream: Readable.from(generate()), produced: () => produced };
}
