import { Readable } from 'node:stream';
import { RekognitionClient, RekognitionServiceException, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { classifyError, errorCode } from '../../../lambda/common/errors';
import { deriveToken } from '../../../lambda/common/job-request';
import { loadConfig } from '../../../lambda/trigger/config';
import { BatchState, processRecord } from '../../../lambda/trigger/process-record';
import { ManifestRejectedError } from '../../../lambda/trigger/validate-manifest';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { s3EventBody, sqsRecord } from '../../support/sqs-s3-events';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PipelineTracking';
const ENV = {
  OUTPUT_BUCKET: 'moderation-results',
  OUTPUT_PREFIX: 'results/',
  KMS_KEY_ID: KEY_ARN,
  JOB_NAME_PREFIX: 'moderation-',
  TRACKING_STATE_MACHINE_ARN: STATE_MACHINE,
  IMAGE_BUCKETS: 'manifest-bucket, images-bucket',
};

const rekognitionMock = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const rekognition = new RekognitionClient({ region: 'us-east-1' });
let logs: CapturedLogs;
/** Every call to a mocked service, in order. */
let calls: string[];

const line = (bucket: string, key: string) => `{"source-ref":"s3://${bucket}/${key}"}`;
const manifest = (...lines: string[]) => lines.join('\n') + '\n';

beforeEach(() => {
  for (const mock of [rekognitionMock, s3, sfn]) mock.reset();
  calls = [];
  rekognitionMock.on(StartMediaAnalysisJobCommand).callsFake(() => {
    calls.push('StartMediaAnalysisJob');
    return { JobId: 'job-42' };
  });
  s3.on(PutObjectCommand).callsFake((input) => {
    calls.push(`PutObject ${input.Key.slice(input.Key.lastIndexOf('/') + 1)}`);
    return {};
  });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  serve(manifest(line('images-bucket', 'a.jpg')));
  logs = captureLogs();
});
afterEach(() => logs.restore());

/** The manifest S3 answers GetObject with (a fresh stream per call, as S3 sends). */
function serve(text: string, contentLength = Buffer.byteLength(text)): void {
  s3.on(GetObjectCommand).callsFake(() => {
    calls.push('GetObject');
    return { Body: Readable.from([Buffer.from(text, 'utf8')]), ContentLength: contentLength };
  });
}

function s3Error(name: string, status: number): Error {
  return new S3ServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

const UPLOAD = { bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', versionId: 'v-9' };
const TOKEN = deriveToken('manifest-bucket', 'in/batch 1.jsonl', 'v:v-9');
const PREFIX = `results/in/batch_1.jsonl/${TOKEN.slice(0, 16)}`;

async function processUpload(env: Record<string, string> = ENV, options: { batch?: BatchState; key?: string; receiveCount?: number } = {}) {
  const record = sqsRecord(s3EventBody({ ...UPLOAD, ...(options.key && { key: options.key }) }), { receiveCount: options.receiveCount ?? 1 });
  const outcome = await processRecord(record, { config: loadConfig(env), rekognition, batch: options.batch ?? { capacityExhausted: false } });
  if (outcome.kind !== 'processed') throw new Error(`record ${outcome.kind}`);
  return { manifest: outcome.manifests[0], disposition: outcome.disposition };
}

function putBody(suffix: string): any {
  const put = s3.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key!.endsWith(suffix));
  return put && JSON.parse(String(put.args[0].input.Body));
}

function trackingInput(): any {
  return JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!);
}

describe('a manifest that fails validation', () => {
  test('gets an error report with the validation section (line numbers, codes), a tracked start failure, and no job', async () => {
    serve(manifest(line('images-bucket', 'a.jpg'), 'not json', line('other-bucket', 'c.jpg')));

    const { manifest: outcome, disposition } = await processUpload();

    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    expect(calls).toEqual(['GetObject', 'PutObject error-report.json']);
    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'ManifestValidationFailed', errorReport: `s3://moderation-results/${PREFIX}/error-report.json` });
    expect(disposition).toEqual({ action: 'ack' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'moderation-results', Key: `${PREFIX}/error-report.json`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    const report = putBody('error-report.json');
    expect(report).toEqual({
      manifest: { bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', version: 'v-9' },
      token: TOKEN,
      jobName: `moderation-batch_1.jsonl-${TOKEN.slice(0, 8)}`,
      errorCode: 'ManifestValidationFailed',
      message: expect.stringMatching(/^BUCKET_NOT_GRANTED: 1 line\(s\) name images in buckets the pipeline may not read: "other-bucket" \(first at line 3\)\. .*imageBuckets/),
      time: expect.any(String),
      advice: expect.stringContaining('validation.errors'),
      validation: {
        verdict: 'reject',
        rejectReason: { code: 'BUCKET_NOT_GRANTED', message: report.message.replace('BUCKET_NOT_GRANTED: ', '') },
        statistics: { totalLines: 3, validLines: 1, invalidLines: 2, bytes: expect.any(Number), complete: true },
        errorCount: 2,
        errors: [
          { lineNumber: 2, sourceRef: null, code: 'NOT_JSON', message: 'Line is not JSON: "not json".' },
          { lineNumber: 3, sourceRef: 's3://other-bucket/c.jpg', code: 'BUCKET_NOT_GRANTED', message: expect.stringContaining('"other-bucket"') },
        ],
      },
    });
    expect(trackingInput().startFailure).toEqual({ code: 'ManifestValidationFailed', message: report.message, errorReport: outcome.outcome === 'rejected' && outcome.errorReport });
    expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'manifest validated', verdict: 'reject', rejectCode: 'BUCKET_NOT_GRANTED', totalLines: 3, token: TOKEN }));
  });

  test.each([
    ['EMPTY_MANIFEST', ''],
    ['NO_VALID_LINES', JSON.stringify([{ 'source-ref': 's3://images-bucket/a.jpg' }], null, 2)],
    ['TOO_MANY_LINES', manifest(...Array.from({ length: 10_001 }, (_, i) => line('images-bucket', `${i}.jpg`)))],
  ])('%s is rejected without a job', async (code, text) => {
    serve(text);

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'ManifestValidationFailed' });
    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    expect(putBody('error-report.json').validation.rejectReason.code).toBe(code);
    expect(putBody('error-report.json').message).toMatch(new RegExp(`^${code}: `));
  });

  test('TOO_LARGE is decided from ContentLength: the body is never read, and it is closed', async () => {
    const body = new Readable({ read() { throw new Error('the body was read'); } });
    s3.on(GetObjectCommand).resolves({ Body: body as any, ContentLength: 50 * 1024 * 1024 + 1 });

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'ManifestValidationFailed' });
    expect(putBody('error-report.json').validation).toMatchObject({ rejectReason: { code: 'TOO_LARGE' }, statistics: { bytes: 52_428_801, complete: false } });
    expect(body.destroyed).toBe(true);
  });
});

describe('a manifest with warnings', () => {
  test('starts the job, then writes validation-report.json beside its results', async () => {
    serve(manifest(line('images-bucket', 'a.jpg'), '', line('images-bucket', 'b.gif'), '{"src":"x"}'));

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'started', job: { jobId: 'job-42' } });
    expect(calls).toEqual(['GetObject', 'StartMediaAnalysisJob', 'PutObject validation-report.json']);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'moderation-results', Key: `${PREFIX}/validation-report.json`, ContentType: 'application/json', SSEKMSKeyId: KEY_ARN });
    expect(putBody('validation-report.json')).toEqual({
      manifest: { bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', version: 'v-9' },
      token: TOKEN,
      jobName: `moderation-batch_1.jsonl-${TOKEN.slice(0, 8)}`,
      jobId: 'job-42',
      time: expect.any(String),
      advice: expect.stringContaining('The job was started'),
      validation: {
        verdict: 'warnings',
        rejectReason: null,
        statistics: { totalLines: 4, validLines: 1, invalidLines: 3, bytes: expect.any(Number), complete: true },
        errorCount: 3,
        errors: [
          { lineNumber: 2, sourceRef: null, code: 'EMPTY_LINE', message: expect.any(String) },
          { lineNumber: 3, sourceRef: 's3://images-bucket/b.gif', code: 'NOT_AN_IMAGE', message: expect.any(String) },
          { lineNumber: 4, sourceRef: null, code: 'NO_SOURCE_REF', message: expect.any(String) },
        ],
      },
    });
    expect(trackingInput().jobId).toBe('job-42');
    expect(logs.withOutcome('started')).toEqual([expect.objectContaining({ validationReport: `s3://moderation-results/${PREFIX}/validation-report.json` })]);
  });

  test('still starts and tracks the job when the report cannot be written: the job summary lists those lines too', async () => {
    serve(manifest(line('images-bucket', 'a.jpg'), 'oops'));
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));

    const { manifest: outcome, disposition } = await processUpload();

    expect(outcome.outcome).toBe('started');
    expect(disposition).toEqual({ action: 'ack' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'validation report not written', errorCode: 'AccessDenied' }));
  });

  test('a clean manifest gets no report', async () => {
    const { manifest: outcome } = await processUpload();

    expect(outcome.outcome).toBe('started');
    expect(calls).toEqual(['GetObject', 'StartMediaAnalysisJob']);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'manifest validated', verdict: 'ok', totalLines: 1, invalidLines: 0, durationMs: expect.any(Number) }));
  });
});

describe('reading the manifest', () => {
  test('reads the version the event names, once', async () => {
    await processUpload();

    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'manifest-bucket', Key: 'in/batch 1.jsonl', VersionId: 'v-9' });
  });

  test('reads the current object when the event has no version', async () => {
    const record = sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'a.jsonl', sequencer: '0A' }));

    await processRecord(record, { config: loadConfig(ENV), rekognition, batch: { capacityExhausted: false } });

    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: 'manifest-bucket', Key: 'a.jsonl' });
  });

  test.each([
    ['NoSuchKey', () => new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } })],
    ['NoSuchVersion', () => s3Error('NoSuchVersion', 404)],
    ['a bare 404', () => s3Error('NotFound', 404)],
  ])('a manifest gone before the trigger ran (%s) is rejected as ManifestNotFound, with advice', async (_, error) => {
    s3.on(GetObjectCommand).rejects(error());

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'ManifestNotFound' });
    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    const report = putBody('error-report.json');
    expect(report).toMatchObject({ errorCode: 'ManifestNotFound', message: expect.stringContaining('s3://manifest-bucket/in/batch 1.jsonl (version v-9) no longer exists'), advice: expect.stringContaining('upload it again') });
    expect(report.validation).toBeUndefined();
    expect(trackingInput().startFailure).toMatchObject({ code: 'ManifestNotFound' });
  });

  test('a refused read is rejected as ManifestAccessDenied, naming the permissions and the missing-key case', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'ManifestAccessDenied' });
    expect(putBody('error-report.json').message).toMatch(/AccessDenied.*s3:GetObject.*kms:Decrypt.*s3:ListBucket/);
  });

  test.each([
    ['SlowDown', () => s3Error('SlowDown', 503), 5, 10],
    ['InternalError', () => s3Error('InternalError', 500), 15, 30],
    ['ServiceUnavailable', () => s3Error('ServiceUnavailable', 503), 15, 30],
    ['ECONNRESET', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 15, 30],
  ])('%s from S3 defers the manifest like other retryable errors, without a report or a job', async (code, error, low, high) => {
    s3.on(GetObjectCommand).rejects(error());

    const { manifest: outcome, disposition } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'deferred', errorCode: code, shortCircuited: false });
    const delay = outcome.outcome === 'deferred' ? outcome.delaySeconds : -1;
    expect(delay).toBeGreaterThanOrEqual(low);
    expect(delay).toBeLessThan(high);
    expect(disposition).toEqual({ action: 'delay', delaySeconds: delay });
    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('a connection broken while the body streams defers the manifest', async () => {
    s3.on(GetObjectCommand).callsFake(() => {
      const body = new Readable({ read() {} });
      body.push(`${line('images-bucket', 'a.jpg')}\n`);
      setImmediate(() => body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
      return { Body: body, ContentLength: 1000 };
    });

    const { manifest: outcome } = await processUpload();

    expect(outcome).toMatchObject({ outcome: 'deferred', errorCode: 'ECONNRESET' });
    expect(rekognitionMock).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
  });
});

describe('when validation runs', () => {
  test('VALIDATE_MANIFESTS=false starts the job without reading the manifest', async () => {
    serve('not a manifest at all');

    const { manifest: outcome } = await processUpload({ ...ENV, VALIDATE_MANIFESTS: 'false' });

    expect(outcome.outcome).toBe('started');
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  test('VALIDATE_MANIFESTS=true and unset both validate', async () => {
    serve('not a manifest at all');
    const { VALIDATE_MANIFESTS: _, ...unset } = { ...ENV, VALIDATE_MANIFESTS: '' };

    expect((await processUpload({ ...ENV, VALIDATE_MANIFESTS: 'true' })).manifest.outcome).toBe('rejected');
    expect((await processUpload(unset)).manifest.outcome).toBe('rejected');
  });

  test('without IMAGE_BUCKETS, any bucket is accepted', async () => {
    serve(manifest(line('anywhere-bucket', 'a.jpg')));
    const { IMAGE_BUCKETS: _, ...env } = ENV;

    expect((await processUpload(env)).manifest.outcome).toBe('started');
  });

  test('manifests deferred by the LimitExceeded short-circuit are not read', async () => {
    rekognitionMock.on(StartMediaAnalysisJobCommand).rejects(new RekognitionServiceException({ name: 'LimitExceededException', $fault: 'client', $metadata: {} }));
    const batch: BatchState = { capacityExhausted: false };

    const first = await processUpload(ENV, { batch, key: 'a.jsonl' });
    const second = await processUpload(ENV, { batch, key: 'b.jsonl' });

    expect(first.manifest).toMatchObject({ outcome: 'deferred', shortCircuited: false });
    expect(second.manifest).toMatchObject({ outcome: 'deferred', shortCircuited: true });
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  test('a request that breaks the API limits is rejected before the manifest is read', async () => {
    const { manifest: outcome } = await processUpload(ENV, { key: 'k'.repeat(1025) });

    expect(outcome).toMatchObject({ outcome: 'rejected', errorCode: 'InvalidJobRequest' });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });
});

describe('classifyError for manifest reads', () => {
  test.each([
    ['SlowDown', 'throttled', s3Error('SlowDown', 503)],
    ['InternalError', 'transient', s3Error('InternalError', 500)],
    ['ServiceUnavailable', 'transient', s3Error('ServiceUnavailable', 503)],
    ['ManifestValidationFailed', 'permanent', new ManifestRejectedError('ManifestValidationFailed', 'x')],
    ['ManifestNotFound', 'permanent', new ManifestRejectedError('ManifestNotFound', 'x')],
    ['ManifestAccessDenied', 'permanent', new ManifestRejectedError('ManifestAccessDenied', 'x')],
  ])('%s is %s', (code, expected, error) => {
    expect(errorCode(error)).toBe(code);
    expect(classifyError(error)).toBe(expected);
  });
});
