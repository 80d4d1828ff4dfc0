import type { S3Client } from '@aws-sdk/client-s3';
import { finalize, type FinalizeOptions } from '../../../../lambda/per-image/finalize/finalize';
import { prepareManifest } from '../../../../lambda/per-image/prepare/prepare-manifest';
import type { BatchOutput, FinalizeInput, ImageItem, LineResult, PreparedManifest } from '../../../../lib/per-image/per-image-workflow-contract';
import { captureLogs, type CapturedLogs } from '../../../support/capture-logs';
import { LocalS3, startLocalS3 } from '../../../support/local-s3';
import { bulkOutputProblems } from '../../../support/per-image/bulk-output-schema';
import { ChildExecution, writeResultWriterOutput } from '../../../support/per-image/result-writer-files';
import { getJsonLines, getText, localS3Client, putText } from '../../../support/per-image/s3';

const NOW = new Date('2026-05-01T10:30:00.000Z');
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:PerImage:tok';
const LABELS = { ModerationLabels: [{ Name: 'Violence', ParentName: '', Confidence: 91.3, TaxonomyLevel: 1 }], ModerationModelVersion: '7.0', ContentTypes: [] };
const NO_LABELS = { ModerationLabels: [], ModerationModelVersion: '7.0', ContentTypes: [] };

let server: LocalS3;
let s3: S3Client;
let manifests = 0;

beforeAll(async () => {
  server = await startLocalS3(['manifests', 'results']);
  s3 = localS3Client(server.url);
});

let logs: CapturedLogs;
beforeEach(() => { logs = captureLogs(); });
afterEach(() => logs.restore());

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

const OPTIONS: FinalizeOptions = { maxFailureShare: 0.5, maxRounds: 3, now: () => NOW, mapConcurrency: 2, maxItemsPerBatch: 50 };
const ref = (key: string) => JSON.stringify({ 'source-ref': `s3://images/${key}` });

/** Prepares a manifest for real and answers its prepared state. */
async function prepared(lines: string[]): Promise<{ prepared: PreparedManifest; base: Omit<FinalizeInput, 'work' | 'mapRun'>; items: ImageItem[] }> {
  const key = `m-${++manifests}.jsonl`;
  await putText(s3, 'manifests', key, lines.join('\n'));
  const output = { bucket: 'results', prefix: `results/${key}/0123456789abcdef` };
  const result = await prepareManifest({ token: 'tok', manifest: { bucket: 'manifests', key }, output, startedAt: '2026-05-01T10:00:00.000Z', executionArn: EXECUTION }, s3);
  if (!result.accepted) throw new Error('fixture manifest rejected');
  const items = await getJsonLines<ImageItem>(s3, 'results', result.items.key);
  return { prepared: result, items, base: { token: 'tok', output, prepared: result, startedAt: '2026-05-01T10:00:00.000Z', executionArn: EXECUTION } };
}

/** Batches of `size` items, each answered by `answer`, as one Map Run exported by ResultWriter. */
async function mapRun(fixture: Awaited<ReturnType<typeof prepared>>, runId: string, batchItems: ImageItem[], answer: (item: ImageItem) => LineResult, size = 2, options = {}) {
  const executions: ChildExecution[] = [];
  for (let i = 0; i < batchItems.length; i += size) {
    const Items = batchItems.slice(i, i + size);
    const output: BatchOutput = { results: Items.map(answer) };
    executions.push({ input: { Items, BatchInput: { output: fixture.base.output, round: 1 } }, status: 'SUCCEEDED', output });
  }
  return writeResultWriterOutput(s3, executions, { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: runId, ...options });
}

async function outputsOf(fixture: Awaited<ReturnType<typeof prepared>>) {
  const folder = `${fixture.base.output.prefix}/per-image/results`;
  const text = await getText(s3, 'results', `${folder}/output.jsonl`);
  return { lines: text.split('\n').filter((line) => line !== ''), summary: JSON.parse(await getText(s3, 'results', `${folder}/manifest-summary.json`)) };
}

test('writes the output manifest (a line per manifest line, in order) and the summary in the bulk format', async () => {
  // GIVEN: 4 images (one refused) and 2 lines that name none
  const fixture = await prepared([ref('violence.jpg'), 'oops', ref('calm.jpg'), ref('huge.jpg'), '', ref('violence.jpg')]);
  const details = await mapRun(fixture, 'run-1', [...fixture.items].reverse(), (item) => (item.key === 'huge.jpg'
    ? { line: item.line, error: { code: 'IMAGE_TOO_LARGE', message: 'Image size is too large' } }
    : { line: item.line, labels: item.key.startsWith('violence') ? LABELS : NO_LABELS }));

  // WHEN
  const output = await finalize({ ...fixture.base, work: fixture.prepared.work, mapRun: { MapRunArn: 'arn:run-1', ResultWriterDetails: details } }, s3, OPTIONS);

  // THEN
  const folder = `${fixture.base.output.prefix}/per-image/results`;
  expect(output).toEqual({
    done: true,
    jobDescription: {
      JobId: EXECUTION,
      Status: 'SUCCEEDED',
      CreationTimestamp: '2026-05-01T10:00:00.000Z',
      CompletionTimestamp: NOW.toISOString(),
      Results: { S3Object: { Bucket: 'results', Name: `${folder}/output.jsonl` } },
      ManifestSummary: { S3Object: { Bucket: 'results', Name: `${folder}/manifest-summary.json` } },
    },
  });
  const outputs = await outputsOf(fixture);
  expect(outputs.lines.map((line) => JSON.parse(line))).toEqual([
    { 'source-ref': 's3://images/violence.jpg', 'detect-moderation-labels': LABELS },
    {},
    { 'source-ref': 's3://images/calm.jpg', 'detect-moderation-labels': NO_LABELS },
    { 'source-ref': 's3://images/huge.jpg' },
    {},
    { 'source-ref': 's3://images/violence.jpg', 'detect-moderation-labels': LABELS },
  ]);
  expect(outputs.summary).toEqual({
    version: '1.0',
    statistics: { 'total-json-lines': 6, 'valid-json-lines': 4, 'invalid-json-lines': 2 },
    errors: [
      { 'line-numer': 2, code: 'NOT_JSON', message: expect.any(String) },
      { 'line-numer': 4, 'source-ref': 's3://images/huge.jpg', code: 'IMAGE_TOO_LARGE', message: 'Image size is too large' },
      { 'line-numer': 5, code: 'EMPTY_LINE', message: expect.any(String) },
    ],
  });
  expect(bulkOutputProblems(outputs)).toEqual([]);
});

test('fails the job when more than the allowed share of non-blank lines failed, outputs written all the same', async () => {
  // 1 refused + 1 not JSON of 4 non-blank lines = 50%; blank lines do not count
  const fixture = await prepared([ref('a.jpg'), ref('bad.jpg'), 'nope', ref('c.jpg'), '', '']);
  const details = await mapRun(fixture, 'run-1', fixture.items, (item) => (item.key === 'bad.jpg'
    ? { line: item.line, error: { code: 'INVALID_IMAGE_FORMAT', message: 'unsupported' } }
    : { line: item.line, labels: NO_LABELS }));
  const input = { ...fixture.base, work: fixture.prepared.work, mapRun: { ResultWriterDetails: details } };

  const strict = await finalize(input, s3, { ...OPTIONS, maxFailureShare: 0.49 });
  const lenient = await finalize(input, s3, { ...OPTIONS, maxFailureShare: 0.5 });

  expect(strict).toMatchObject({
    done: true,
    jobDescription: {
      Status: 'FAILED',
      FailureDetails: { Code: 'FAILURE_SHARE_EXCEEDED', Message: '2 of 4 non-blank manifest lines failed (50%), more than the allowed 49%; see the manifest summary.' },
      Results: { S3Object: { Name: expect.stringMatching(/output\.jsonl$/) } },
    },
  });
  expect(lenient).toMatchObject({ done: true, jobDescription: { Status: 'SUCCEEDED' } });
  expect((lenient as any).jobDescription.FailureDetails).toBeUndefined();
});

test('gives lines without a final result another round: throttled, in a failed batch, or missing', async () => {
  // GIVEN: 6 images; round 1 analyses 1-2, hands back 3 (throttled), loses 4-5 with a failed batch, never mentions 6
  const fixture = await prepared(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ref(`${name}.jpg`)));
  const [a, b, c, d, e] = fixture.items;
  const executions: ChildExecution[] = [
    { input: { Items: [a, b, c] }, status: 'SUCCEEDED', output: { results: [{ line: 1, labels: NO_LABELS }, { line: 2, labels: NO_LABELS }, { line: 3, retry: { code: 'THROTTLED', message: 'Rate exceeded' } }] } },
    { input: { Items: [d, e] }, status: 'FAILED', error: 'Lambda.Unknown', cause: 'Task timed out after 240.00 seconds' },
  ];
  const details = await writeResultWriterOutput(s3, executions, { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: 'run-1' });

  // WHEN
  const output = await finalize({ ...fixture.base, work: fixture.prepared.work, mapRun: { ResultWriterDetails: details } }, s3, OPTIONS);

  // THEN
  const retryKey = `${fixture.base.output.prefix}/per-image/retry-2.jsonl`;
  expect(output).toEqual({
    done: false,
    pendingLines: 4,
    // 4 lines over 2 children: batches of 2
    work: { round: 2, items: { bucket: 'results', key: retryKey }, mapResults: [{ bucket: details.Bucket, key: details.Key }], waitSeconds: 60, itemsPerBatch: 2 },
  });
  expect((await getJsonLines<ImageItem>(s3, 'results', retryKey)).map((item) => item.line)).toEqual([3, 4, 5, 6]);
});

test('merges every round, and records what is still not done after the last one as errors', async () => {
  // GIVEN: round 1 as above; round 2 analyses 3 and 6, 4 is throttled again, 5's batch fails again
  const fixture = await prepared(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ref(`${name}.jpg`)));
  const [a, b, c, d, e, f] = fixture.items;
  const round1 = await writeResultWriterOutput(s3, [
    { input: { Items: [a, b, c] }, status: 'SUCCEEDED', output: { results: [{ line: 1, labels: LABELS }, { line: 2, labels: NO_LABELS }, { line: 3, retry: { code: 'THROTTLED', message: 'Rate exceeded' } }] } },
    { input: { Items: [d, e] }, status: 'FAILED', error: 'Lambda.Unknown', cause: 'timed out' },
  ], { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: 'run-1' });
  const round2 = await writeResultWriterOutput(s3, [
    { input: { Items: [c, d] }, status: 'SUCCEEDED', output: { results: [{ line: 3, labels: LABELS }, { line: 4, retry: { code: 'THROTTLED', message: 'Rate exceeded' } }] } },
    { input: { Items: [e, f] }, status: 'FAILED', error: 'States.Timeout', cause: '' },
  ], { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: 'run-2', outputType: 'JSON', transformation: 'NONE' });
  const work = { round: 2, items: { bucket: 'results', key: 'unused' }, mapResults: [{ bucket: round1.Bucket, key: round1.Key }], waitSeconds: 60, itemsPerBatch: 2 };

  // WHEN: round 2 is the last
  const output = await finalize({ ...fixture.base, work, mapRun: { ResultWriterDetails: round2 } }, s3, { ...OPTIONS, maxRounds: 2, maxFailureShare: 1 });

  // THEN
  expect(output).toMatchObject({ done: true, jobDescription: { Status: 'SUCCEEDED' } });
  const outputs = await outputsOf(fixture);
  expect(outputs.lines.map((line) => 'detect-moderation-labels' in JSON.parse(line))).toEqual([true, true, true, false, false, false]);
  expect(outputs.summary.errors).toEqual([
    { 'line-numer': 4, 'source-ref': 's3://images/d.jpg', code: 'THROTTLED', message: 'Rate exceeded' },
    { 'line-numer': 5, 'source-ref': 's3://images/e.jpg', code: 'BATCH_FAILED', message: 'States.Timeout' },
    // line 6's batch failed in round 2 (its first mention)
    { 'line-numer': 6, 'source-ref': 's3://images/f.jpg', code: 'BATCH_FAILED', message: 'States.Timeout' },
  ]);
  expect(bulkOutputProblems(outputs)).toEqual([]);
});

test('reads batch results a batch spilled to S3', async () => {
  const fixture = await prepared([ref('a.jpg'), ref('b.jpg')]);
  const spilledKey = `${fixture.base.output.prefix}/per-image/batches/round-1/line-1.jsonl`;
  await putText(s3, 'results', spilledKey, fixture.items.map((item) => `${JSON.stringify({ line: item.line, labels: LABELS })}\n`).join(''));
  const details = await writeResultWriterOutput(s3, [
    { input: { Items: fixture.items }, status: 'SUCCEEDED', output: { spilled: { bucket: 'results', key: spilledKey }, count: 2 } },
  ], { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: 'run-1' });

  const output = await finalize({ ...fixture.base, work: fixture.prepared.work, mapRun: { ResultWriterDetails: details } }, s3, OPTIONS);

  expect(output).toMatchObject({ done: true, jobDescription: { Status: 'SUCCEEDED' } });
  expect((await outputsOf(fixture)).lines.map((line) => JSON.parse(line)['detect-moderation-labels'])).toEqual([LABELS, LABELS]);
});

test('records lines as NOT_PROCESSED when the Map left no result at all and no round is left', async () => {
  const fixture = await prepared([ref('a.jpg'), ref('b.jpg')]);
  const details = await writeResultWriterOutput(s3, [], { bucket: 'results', prefix: fixture.prepared.mapResultsPrefix, mapRunId: 'run-1' });

  const output = await finalize({ ...fixture.base, work: fixture.prepared.work, mapRun: { ResultWriterDetails: details } }, s3, { ...OPTIONS, maxRounds: 1 });

  expect(output).toMatchObject({ done: true, jobDescription: { Status: 'FAILED', FailureDetails: { Code: 'FAILURE_SHARE_EXCEEDED' } } });
  expect((await outputsOf(fixture)).summary.errors.map((error: any) => error.code)).toEqual(['NOT_PROCESSED', 'NOT_PROCESSED']);
});
