import { fateOf } from '../../support/local-aws/manifest-fates';
import { EU_BUCKET, expectJob, expectRejected, OTHER_BUCKET, ref, uploadManifest, useMatrixPipeline } from './matrix-pipeline';

// Bad manifests, each through the deployed trigger (pre-validation on, as the example app ships)
// and, where pre-validation decides the outcome, through a trigger deployed with
// validateManifests: false (VALIDATE_MANIFESTS=false), so Rekognition's own handling shows.

const pipeline = useMatrixPipeline();
const WITHOUT_PREVALIDATION = { VALIDATE_MANIFESTS: 'false' };

async function deliverOnce(): Promise<void> {
  const run = await pipeline().deliver();
  expect(run?.response).toEqual({ batchItemFailures: [] });
}

function startCalls(): number {
  return pipeline().rekognition.calls.of('StartMediaAnalysisJob').length;
}

describe('empty manifest', () => {
  test('is rejected before any job (ManifestValidationFailed: EMPTY_MANIFEST): error report and FAILED event', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/empty.jsonl', '');
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/empty.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason.code).toBe('EMPTY_MANIFEST');
    expect(startCalls()).toBe(0);
  });

  test('without pre-validation, Rekognition refuses it (InvalidManifestException): error report and FAILED event', async () => {
    const local = pipeline();
    local.setTriggerEnv(WITHOUT_PREVALIDATION);
    await uploadManifest(local, 'manifests/empty-unchecked.jsonl', '\n\n');
    await deliverOnce();
    await expectRejected(local, 'manifests/empty-unchecked.jsonl', 'InvalidManifestException');
    expect(local.rekognition.calls.failed('StartMediaAnalysisJob', 'InvalidManifestException')).toHaveLength(1);
  });
});

describe('not JSON Lines', () => {
  const csv = 'source-ref,label\ns3://bucket/a.jpg,x\ns3://bucket/b.jpg,y';

  test('is rejected before any job (ManifestValidationFailed: NO_VALID_LINES), every line reported', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/csv.jsonl', csv);
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/csv.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason.code).toBe('NO_VALID_LINES');
    expect(report.validation.errors.map((error: any) => [error.lineNumber, error.code])).toEqual([[1, 'NOT_JSON'], [2, 'NOT_JSON'], [3, 'NOT_JSON']]);
    expect(startCalls()).toBe(0);
  });

  test('without pre-validation, the job runs and its SUCCEEDED event counts every line invalid', async () => {
    const local = pipeline();
    local.setTriggerEnv(WITHOUT_PREVALIDATION);
    await uploadManifest(local, 'manifests/csv-unchecked.jsonl', csv);
    await deliverOnce();
    const detail = await expectJob(local, 'manifests/csv-unchecked.jsonl');
    expect(detail).toMatchObject({ status: 'SUCCEEDED', statistics: { totalLines: 3, validLines: 0, invalidLines: 3 }, moderation: { imagesAnalyzed: 0 } });
  });
});

test('lines without source-ref: the job runs on the other lines; the event counts them invalid and a validation report lists them', async () => {
  const local = pipeline();
  await uploadManifest(local, 'manifests/some-without-ref.jsonl', [ref(local.inputBucket, 'images/explicit.jpg'), '{"image":"images/plain.jpg"}', '{}']);
  await deliverOnce();
  const detail = await expectJob(local, 'manifests/some-without-ref.jsonl');
  expect(detail).toMatchObject({
    status: 'SUCCEEDED',
    statistics: { totalLines: 3, validLines: 1, invalidLines: 2 },
    moderation: { imagesAnalyzed: 1, imagesFlagged: 1, labels: { Explicit: 1 } },
  });
  expect(detail.statistics.errors.map((error: any) => error.lineNumber)).toEqual([2, 3]);
  const validation = JSON.parse(await local.read(`s3://${local.outputBucket}/${detail.output.prefix}/validation-report.json`));
  expect(validation.validation.errors.map((error: any) => [error.lineNumber, error.code])).toEqual([[2, 'NO_SOURCE_REF'], [3, 'NO_SOURCE_REF']]);
});

describe('source-ref to another bucket', () => {
  test('is rejected before any job (ManifestValidationFailed: BUCKET_NOT_GRANTED), naming the bucket', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/other-bucket.jsonl', [ref(local.inputBucket, 'images/plain.jpg'), ref(OTHER_BUCKET, 'images/explicit.jpg')]);
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/other-bucket.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason).toMatchObject({ code: 'BUCKET_NOT_GRANTED', message: expect.stringContaining(OTHER_BUCKET) });
    expect(startCalls()).toBe(0);
  });

  test('without pre-validation, the job runs; Rekognition is denied that line (ACCESS_DENIED) and the event counts it invalid', async () => {
    const local = pipeline();
    local.setTriggerEnv(WITHOUT_PREVALIDATION);
    await uploadManifest(local, 'manifests/other-bucket-unchecked.jsonl', [ref(local.inputBucket, 'images/plain.jpg'), ref(OTHER_BUCKET, 'images/explicit.jpg')]);
    await deliverOnce();
    const detail = await expectJob(local, 'manifests/other-bucket-unchecked.jsonl');
    expect(detail).toMatchObject({ status: 'SUCCEEDED', statistics: { totalLines: 2, validLines: 1, invalidLines: 1 }, moderation: { imagesFlagged: 0 } });
    expect(detail.statistics.errors).toEqual([expect.objectContaining({ lineNumber: 2, code: 'ACCESS_DENIED', sourceRef: `s3://${OTHER_BUCKET}/images/explicit.jpg` })]);
  });
});

describe("source-ref to another Region's bucket", () => {
  test('is rejected before any job when the bucket is not granted (BUCKET_NOT_GRANTED: the example grants only its input bucket)', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/eu.jsonl', [ref(EU_BUCKET, 'images/explicit.jpg')]);
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/eu.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason.code).toBe('BUCKET_NOT_GRANTED');
  });

  test('granted (imageBuckets) but in another Region: pre-validation lets it through, the job runs and the line is refused (INVALID_REGION)', async () => {
    const local = pipeline();
    local.setTriggerEnv({ IMAGE_BUCKETS: `${local.inputBucket},${EU_BUCKET}` });
    await uploadManifest(local, 'manifests/eu-granted.jsonl', [ref(local.inputBucket, 'images/explicit.jpg'), ref(EU_BUCKET, 'images/explicit.jpg')]);
    await deliverOnce();
    const detail = await expectJob(local, 'manifests/eu-granted.jsonl');
    expect(detail).toMatchObject({ status: 'SUCCEEDED', statistics: { validLines: 1, invalidLines: 1 }, moderation: { labels: { Explicit: 1 } } });
    expect(detail.statistics.errors).toEqual([expect.objectContaining({ lineNumber: 2, code: 'INVALID_REGION' })]);
  });
});

test('a non-image source-ref: the job runs; the line is counted invalid (UNSUPPORTED_IMAGE_FORMAT) and listed as NOT_AN_IMAGE in the validation report', async () => {
  const local = pipeline();
  await uploadManifest(local, 'manifests/non-image.jsonl', [ref(local.inputBucket, 'images/explicit.jpg'), ref(local.inputBucket, 'images/notes.txt')]);
  await deliverOnce();
  const detail = await expectJob(local, 'manifests/non-image.jsonl');
  expect(detail).toMatchObject({ status: 'SUCCEEDED', statistics: { totalLines: 2, validLines: 1, invalidLines: 1 } });
  expect(detail.statistics.errors).toEqual([expect.objectContaining({ lineNumber: 2, code: 'UNSUPPORTED_IMAGE_FORMAT' })]);
  const validation = JSON.parse(await local.read(`s3://${local.outputBucket}/${detail.output.prefix}/validation-report.json`));
  expect(validation.validation.errors).toEqual([expect.objectContaining({ lineNumber: 2, code: 'NOT_AN_IMAGE' })]);
});

describe('manifest over the limits', () => {
  const tooManyLines = (bucket: string) => Array.from({ length: 10_001 }, () => ref(bucket, 'images/plain.jpg'));
  // 50 MiB + 1 byte of valid lines: one padded source-ref per line.
  const tooManyBytes = (bucket: string) => {
    const line = `${ref(bucket, `images/plain.jpg?${'x'.repeat(5_000)}`)}\n`;
    const size = 50 * 1024 * 1024 + 1;
    return line.repeat(Math.ceil(size / line.length)).slice(0, size);
  };

  test('over 10,000 lines is rejected before any job (ManifestValidationFailed: TOO_MANY_LINES)', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/10001-lines.jsonl', tooManyLines(local.inputBucket));
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/10001-lines.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason.code).toBe('TOO_MANY_LINES');
    expect(startCalls()).toBe(0);
  });

  test('over 10,000 lines without pre-validation: Rekognition refuses it (InvalidManifestException)', async () => {
    const local = pipeline();
    local.setTriggerEnv(WITHOUT_PREVALIDATION);
    await uploadManifest(local, 'manifests/10001-lines-unchecked.jsonl', tooManyLines(local.inputBucket));
    await deliverOnce();
    await expectRejected(local, 'manifests/10001-lines-unchecked.jsonl', 'InvalidManifestException');
  });

  test('over 50 MB is rejected before any job (ManifestValidationFailed: TOO_LARGE)', async () => {
    const local = pipeline();
    await uploadManifest(local, 'manifests/50mb.jsonl', tooManyBytes(local.inputBucket));
    await deliverOnce();
    const { report } = await expectRejected(local, 'manifests/50mb.jsonl', 'ManifestValidationFailed');
    expect(report.validation.rejectReason.code).toBe('TOO_LARGE');
    expect(startCalls()).toBe(0);
  });

  test('over 50 MB without pre-validation: Rekognition refuses it (InvalidManifestException)', async () => {
    const local = pipeline();
    local.setTriggerEnv(WITHOUT_PREVALIDATION);
    await uploadManifest(local, 'manifests/50mb-unchecked.jsonl', tooManyBytes(local.inputBucket));
    await deliverOnce();
    await expectRejected(local, 'manifests/50mb-unchecked.jsonl', 'InvalidManifestException');
    expect(fateOf(local, 'manifests/50mb-unchecked.jsonl').kind).toBe('rejected');
  });
});
