import { GetMediaAnalysisJobCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambda/tracking';
import type { SkipReport } from '../../../lib/ingest/ingest-contract';
import type { TrackingInput } from '../../../lib/tracking/tracking-contract';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { schemaErrors } from '../../support/event-schema';
import { finishedJob, s3Body, trackingInput } from '../../support/result-fixtures';

// The tracker counts the skips of an ingested or backfilled batch in detail.skipped (the real
// handler, S3 and Rekognition mocked).

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const BUCKET = 'uploads';
const BATCH = '0123456789abcdef0123456789abcdef';
const INGEST_REPORT = `manifests/ingest/${BATCH}.skipped.json`;

let logs: CapturedLogs;

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  process.env.MANIFEST_PREFIX = 'manifests/';
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  delete process.env.MANIFEST_PREFIX;
});

function skipReport(manifests: string[], reasons: string[]): string {
  const report: SkipReport = {
    version: '1',
    batch: BATCH,
    manifests: manifests.map((key) => `s3://${BUCKET}/${key}`),
    images: 10,
    skipped: reasons.map((reason, index) => ({ bucket: 'images', key: `uploads/${index}.jpg`, reason: reason as never })),
  };
  return JSON.stringify(report);
}

function serveReport(key: string, body: string): void {
  s3.on(GetObjectCommand, { Bucket: BUCKET, Key: key }).callsFake(() => ({ Body: s3Body(body) }));
}

/** A manifest whose job could not start: the tracker touches S3 only for the skip report. */
function startFailureFor(key: string): TrackingInput {
  return trackingInput({
    manifest: { bucket: BUCKET, key, version: 'v1' },
    jobId: undefined,
    startFailure: { code: 'LimitExceededException', message: 'no slot' },
  });
}

function serviceError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: name === 'NoSuchKey' ? 404 : 403 } });
}

test('counts the skips of an ingest batch by reason on the event of its manifest', async () => {
  // GIVEN
  const manifest = `manifests/ingest/${BATCH}.jsonl`;
  serveReport(INGEST_REPORT, skipReport([manifest], ['empty', 'too-large', 'not-found', 'empty', 'not-an-image']));

  // WHEN
  const step = await handler(startFailureFor(manifest));

  // THEN
  expect(step.detail?.skipped).toEqual({
    total: 5,
    byReason: { 'empty': 2, 'too-large': 1, 'not-found': 1, 'not-an-image': 1 },
    report: `s3://${BUCKET}/${INGEST_REPORT}`,
  });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
});

test('counts a batch cut into several manifests once: on its first manifest, zeros on the others', async () => {
  // GIVEN
  const first = `manifests/ingest/${BATCH}-1.jsonl`;
  const second = `manifests/ingest/${BATCH}-2.jsonl`;
  serveReport(INGEST_REPORT, skipReport([first, second], ['empty', 'superseded']));

  // WHEN
  const onFirst = await handler(startFailureFor(first));
  const onSecond = await handler(startFailureFor(second));

  // THEN
  expect(onFirst.detail?.skipped).toEqual({ total: 2, byReason: { empty: 1, superseded: 1 }, report: `s3://${BUCKET}/${INGEST_REPORT}` });
  expect(onSecond.detail?.skipped).toEqual({ total: 0, byReason: {}, report: null });
  expect(schemaErrors(onSecond.detail)).toEqual([]);
});

test('finds a backfill\'s skip report in the backfill\'s own folder', async () => {
  // GIVEN
  const manifest = `manifests/backfill/Library-1a2b3c/${BATCH}.jsonl`;
  const report = `manifests/backfill/Library-1a2b3c/${BATCH}.skipped.json`;
  serveReport(report, skipReport([manifest], ['not-an-image']));

  // WHEN
  const step = await handler(startFailureFor(manifest));

  // THEN
  expect(step.detail?.skipped).toEqual({ total: 1, byReason: { 'not-an-image': 1 }, report: `s3://${BUCKET}/${report}` });
});

test('reports zeros when the batch wrote no skip report (NoSuchKey: nothing was skipped)', async () => {
  // GIVEN
  s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey'));
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'FAILED', Results: undefined, ManifestSummary: undefined }));

  // WHEN a job that ran and failed
  const step = await handler(trackingInput({ manifest: { bucket: BUCKET, key: `manifests/ingest/${BATCH}.jsonl` } }));

  // THEN
  expect(step.detail?.skipped).toEqual({ total: 0, byReason: {}, report: null });
  expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: INGEST_REPORT });
});

test.each(['AccessDenied', 'SlowDown'])('rejects with %s (the workflow retries) rather than publish an event without the skips', async (name) => {
  s3.on(GetObjectCommand).rejects(serviceError(name));

  await expect(handler(startFailureFor(`manifests/ingest/${BATCH}.jsonl`))).rejects.toMatchObject({ name });
});

test.each([
  ['a manifest the user wrote', 'manifests/batch-1.jsonl'],
  ['a batch-named manifest outside the ingest and backfill folders', `manifests/other/${BATCH}.jsonl`],
  ['a batch-named manifest below a backfill\'s folder', `manifests/backfill/Library/runs/${BATCH}.jsonl`],
])('leaves detail.skipped out for %s, reading nothing', async (_case, key) => {
  const step = await handler(startFailureFor(key));

  expect(step.detail).not.toHaveProperty('skipped');
  expect(s3).not.toHaveReceivedAnyCommand();
});

test('leaves detail.skipped out when the tracker is not told the manifest prefix', async () => {
  delete process.env.MANIFEST_PREFIX;

  const step = await handler(startFailureFor(`manifests/ingest/${BATCH}.jsonl`));

  expect(step.detail).not.toHaveProperty('skipped');
  expect(s3).not.toHaveReceivedAnyCommand();
});

test('finds reports at the bucket\'s root with an empty manifest prefix', async () => {
  process.env.MANIFEST_PREFIX = '';
  const manifest = `ingest/${BATCH}.jsonl`;
  serveReport(`ingest/${BATCH}.skipped.json`, skipReport([manifest], ['empty']));

  const step = await handler(startFailureFor(manifest));

  expect(step.detail?.skipped).toMatchObject({ total: 1, report: `s3://${BUCKET}/ingest/${BATCH}.skipped.json` });
});

test('publishes the event without skips, and warns, when the report is malformed', async () => {
  serveReport(INGEST_REPORT, '{"skipped": "not a list"}');

  const step = await handler(startFailureFor(`manifests/ingest/${BATCH}.jsonl`));

  expect(step.detail).not.toHaveProperty('skipped');
  expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'Skip report is malformed; the event reports no skips', key: INGEST_REPORT }));
});
