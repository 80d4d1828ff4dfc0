import { GetMediaAnalysisJobCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import 'aws-sdk-client-mock-jest';
import type { Context } from 'aws-lambda';
import { handler } from '../../../lambda/tracking';
import { WORKFLOW_RETRYABLE_ERRORS } from '../../../lib/common/contract/error-names';
import type { TrackingStep } from '../../../lib/tracking/tracking-contract';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { schemaErrors } from '../../support/event-schema';
import {
  finishedJob,
  JOB_ID,
  label,
  lazyLines,
  OUTPUT_BUCKET,
  OUTPUT_PREFIX,
  RESULTS_KEY,
  resultLine,
  resultsFile,
  s3Body,
  SUMMARY_KEY,
  summaryJson,
  TOKEN,
  trackingInput,
} from '../../support/result-fixtures';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const FLAGGED_KEY = `${OUTPUT_PREFIX}/flagged-images.jsonl`;
const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let logs: CapturedLogs;

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  delete process.env.KMS_KEY_ID;
  delete process.env.PIPELINE_ID;
  delete process.env.TRACKING_TIMEOUT_SECONDS;
  logs = captureLogs();
});

afterEach(() => logs.restore());

/** Serves the results and summary objects at the keys of finishedJob(). */
function serveOutputs(results: string, summary = summaryJson({ total: 1, valid: 1, invalid: 0 })): void {
  s3.on(GetObjectCommand, { Bucket: OUTPUT_BUCKET, Key: RESULTS_KEY }).callsFake(() => ({ Body: s3Body(results) }));
  s3.on(GetObjectCommand, { Bucket: OUTPUT_BUCKET, Key: SUMMARY_KEY }).callsFake(() => ({ Body: s3Body(summary) }));
}

function flaggedListWritten(): { input: Record<string, any>; lines: any[] } {
  const puts = s3.commandCalls(PutObjectCommand);
  expect(puts).toHaveLength(1);
  const input = puts[0].args[0].input as Record<string, any>;
  const text = Buffer.from(input.Body).toString('utf8');
  return { input, lines: text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line)) };
}

function trackerLogLine(): Record<string, any> {
  const lines = logs.lines().filter((line) => line.message === 'Job tracked' || line.message === 'Job tracking failed');
  expect(lines).toHaveLength(1);
  return lines[0];
}

test('reports a manifest that never started without calling AWS', async () => {
  // GIVEN
  const input = trackingInput({
    jobId: undefined,
    startFailure: { code: 'InvalidManifestException', message: 'The manifest is empty', errorReport: `s3://${OUTPUT_BUCKET}/${OUTPUT_PREFIX}/error-report.json` },
  });

  // WHEN
  const step = await handler(input);

  // THEN
  expect(step).toMatchObject({ done: true, status: 'FAILED' });
  expect(step.detail).toMatchObject({
    status: 'FAILED',
    jobId: null,
    failure: { code: 'InvalidManifestException', message: 'The manifest is empty', stage: 'START' },
    output: { errorReport: `s3://${OUTPUT_BUCKET}/${OUTPUT_PREFIX}/error-report.json`, results: null, flaggedImages: null },
    statistics: null,
    moderation: null,
  });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(rekognition).not.toHaveReceivedAnyCommand();
  expect(s3).not.toHaveReceivedAnyCommand();
  expect(trackerLogLine()).toMatchObject({ level: 'INFO', jobId: null, token: TOKEN, status: 'FAILED', done: true });
});

test.each(['CREATED', 'QUEUED', 'IN_PROGRESS'] as const)('keeps polling a job that is %s', async (status) => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: status, Results: undefined, ManifestSummary: undefined, CompletionTimestamp: undefined }));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step).toEqual({ done: false, status });
  expect(rekognition).toHaveReceivedCommandWith(GetMediaAnalysisJobCommand, { JobId: JOB_ID });
  expect(s3).not.toHaveReceivedAnyCommand();
  expect(trackerLogLine()).toMatchObject({ level: 'INFO', jobId: JOB_ID, token: TOKEN, status, done: false });
});

test('summarises a succeeded job, writing its flagged images encrypted with the pipeline key', async () => {
  // GIVEN results where two of four images are flagged at minConfidence 60
  process.env.KMS_KEY_ID = KMS_KEY;
  process.env.PIPELINE_ID = 'pipeline-7';
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(
    resultsFile([
      resultLine('s3://uploads/1.jpg', [label('Explicit', 97), label('Explicit Nudity', 96, 'Explicit'), label('Violence', 55)]),
      resultLine('s3://uploads/2.jpg', [label('Drugs & Tobacco', 59)]),
      resultLine('s3://uploads/3.jpg', [label('Weapons', 88, 'Violence'), label('Violence', 88)]),
      resultLine('s3://uploads/4.gif', null),
    ]),
    summaryJson({ total: 4, valid: 3, invalid: 1 }, [{ line: 4, sourceRef: 's3://uploads/4.gif', code: 'INVALID_IMAGE_FORMAT', message: 'GIF' }]),
  );

  // WHEN the state machine passes its whole state, the last step included
  const step = await handler({ ...trackingInput({ minConfidence: 60 }), step: { done: false, status: 'IN_PROGRESS' } } as never);

  // THEN
  expect(step.done).toBe(true);
  expect(step.status).toBe('SUCCEEDED');
  expect(step.detail).toMatchObject({
    pipeline: 'pipeline-7',
    status: 'SUCCEEDED',
    failure: null,
    output: {
      results: `s3://${OUTPUT_BUCKET}/${RESULTS_KEY}`,
      summary: `s3://${OUTPUT_BUCKET}/${SUMMARY_KEY}`,
      flaggedImages: `s3://${OUTPUT_BUCKET}/${FLAGGED_KEY}`,
    },
    statistics: {
      totalLines: 4,
      validLines: 3,
      invalidLines: 1,
      errorCount: 1,
      errors: [{ lineNumber: 4, sourceRef: 's3://uploads/4.gif', code: 'INVALID_IMAGE_FORMAT', message: 'GIF' }],
    },
    moderation: { minConfidence: 60, imagesAnalyzed: 3, imagesFlagged: 2, labels: { Explicit: 1, Violence: 1 }, unreadableLines: 0 },
    timing: { createdAt: '2026-05-04T10:00:00.000Z', completedAt: '2026-05-04T10:12:30.500Z', durationSeconds: 750.5 },
  });
  expect(schemaErrors(step.detail)).toEqual([]);

  const { input, lines } = flaggedListWritten();
  expect(input).toMatchObject({
    Bucket: OUTPUT_BUCKET,
    Key: FLAGGED_KEY,
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: KMS_KEY,
    ContentType: 'application/x-ndjson',
  });
  expect(lines).toEqual([
    { 'source-ref': 's3://uploads/1.jpg', 'labels': ['Explicit', 'Explicit Nudity'] },
    { 'source-ref': 's3://uploads/3.jpg', 'labels': ['Weapons', 'Violence'] },
  ]);
  expect(trackerLogLine()).toMatchObject({ jobId: JOB_ID, token: TOKEN, status: 'SUCCEEDED', done: true, imagesAnalyzed: 3, imagesFlagged: 2 });
});

test('summarises a succeeded job with nothing flagged, writing an empty list with the bucket\'s default encryption', async () => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultsFile([resultLine('s3://uploads/1.jpg', []), resultLine('s3://uploads/2.jpg', [label('Violence', 12)])]));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step.detail?.moderation).toEqual({ minConfidence: 50, imagesAnalyzed: 2, imagesFlagged: 0, labels: {}, unreadableLines: 0 });
  expect(step.detail?.output.flaggedImages).toBe(`s3://${OUTPUT_BUCKET}/${FLAGGED_KEY}`);
  const { input, lines } = flaggedListWritten();
  expect(lines).toEqual([]);
  expect(input.Key).toBe(FLAGGED_KEY);
  expect(input).not.toHaveProperty('ServerSideEncryption');
  expect(input).not.toHaveProperty('SSEKMSKeyId');
  expect(schemaErrors(step.detail)).toEqual([]);
});

test('reads the output objects where the job says they are', async () => {
  // GIVEN keys nothing could guess
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({
    Results: { S3Object: { Bucket: 'elsewhere', Name: 'x/y/z-results.jsonl' } },
    ManifestSummary: { S3Object: { Bucket: 'elsewhere', Name: 'q/summary.json' } },
  }));
  s3.on(GetObjectCommand, { Bucket: 'elsewhere', Key: 'x/y/z-results.jsonl' }).callsFake(() => ({ Body: s3Body(resultLine('s3://u/1.jpg', [label('Drugs', 90)])) }));
  s3.on(GetObjectCommand, { Bucket: 'elsewhere', Key: 'q/summary.json' }).callsFake(() => ({ Body: s3Body(summaryJson({ total: 1, valid: 1, invalid: 0 })) }));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
    { Bucket: 'elsewhere', Key: 'q/summary.json' },
    { Bucket: 'elsewhere', Key: 'x/y/z-results.jsonl' },
  ]);
  expect(step.detail?.output).toMatchObject({ results: 's3://elsewhere/x/y/z-results.jsonl', summary: 's3://elsewhere/q/summary.json' });
  expect(step.detail?.moderation?.imagesFlagged).toBe(1);
});

test.each(['line-numer', 'line-number'] as const)('reads error line numbers keyed %s', async (lineKey) => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs('', summaryJson({ total: 3, valid: 1, invalid: 2 }, [
    { line: 2, sourceRef: 's3://uploads/2.bmp', code: 'INVALID_IMAGE_FORMAT', message: 'BMP' },
    { line: 3, sourceRef: 's3://uploads/3.jpg', code: 'INVALID_IMAGE_DIMENSION', message: 'too small' },
  ], lineKey));

  const step = await handler(trackingInput());

  expect(step.detail?.statistics?.errors.map((error) => error.lineNumber)).toEqual([2, 3]);
});

test('reports a failed job with its failure details and manifest statistics, without reading results', async () => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({
    Status: 'FAILED',
    FailureDetails: { Code: 'INVALID_MANIFEST', Message: 'The manifest has no valid lines' },
  }));
  serveOutputs('', summaryJson({ total: 2, valid: 0, invalid: 2 }, [
    { line: 1, sourceRef: 's3://uploads/a', code: 'INVALID_S3_OBJECT', message: 'missing' },
    { line: 2, sourceRef: 's3://uploads/b', code: 'INVALID_S3_OBJECT', message: 'missing' },
  ]));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step).toMatchObject({ done: true, status: 'FAILED' });
  expect(step.detail).toMatchObject({
    status: 'FAILED',
    failure: { code: 'INVALID_MANIFEST', message: 'The manifest has no valid lines', stage: 'JOB' },
    statistics: { totalLines: 2, validLines: 0, invalidLines: 2, errorCount: 2 },
    moderation: null,
    output: { flaggedImages: null },
  });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Key: SUMMARY_KEY });
  expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
});

test('reports a failed job without outputs or failure details without touching S3', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'FAILED', Results: undefined, ManifestSummary: undefined }));

  const step = await handler(trackingInput());

  expect(step.detail).toMatchObject({ failure: { code: 'UNKNOWN', message: '', stage: 'JOB' }, statistics: null, moderation: null });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(s3).not.toHaveReceivedAnyCommand();
});

test('rejects with ThrottlingException when GetMediaAnalysisJob is throttled', async () => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

  // WHEN
  const tracking = handler(trackingInput());

  // THEN
  await expect(tracking).rejects.toMatchObject({ name: 'ThrottlingException' });
  expect(trackerLogLine()).toMatchObject({ level: 'ERROR', jobId: JOB_ID, token: TOKEN, error: 'ThrottlingException', errorMessage: 'Rate exceeded' });
});

test.each([
  ['GetObject of the results', 'results', 'SlowDown'],
  ['GetObject of the summary', 'summary', 'InternalError'],
])('rejects when %s fails, keeping the S3 error name', async (_, object, errorName) => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultLine('s3://u/1.jpg', []));
  s3.on(GetObjectCommand, { Key: object === 'results' ? RESULTS_KEY : SUMMARY_KEY }).rejects(Object.assign(new Error('try again'), { name: errorName }));

  await expect(handler(trackingInput())).rejects.toMatchObject({ name: errorName });
});

test('rejects with ReadInterruptedError (retried by the workflow) when the results break off mid-way, writing no partial list', async () => {
  // GIVEN a download cut off mid-stream: Node reports a plain Error, which the workflow does not retry
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs('');
  async function* breaksOff() {
    yield Buffer.from(`${resultLine('s3://u/1.jpg', [label('Drugs', 90)])}\n`);
    throw new Error('aborted');
  }
  s3.on(GetObjectCommand, { Key: RESULTS_KEY }).callsFake(() => ({ Body: s3Body(Readable.from(breaksOff())) }));

  // WHEN / THEN
  await expect(handler(trackingInput())).rejects.toMatchObject({ name: 'ReadInterruptedError', message: expect.stringContaining(RESULTS_KEY) });
  expect(WORKFLOW_RETRYABLE_ERRORS).toContain('ReadInterruptedError');
  expect(WORKFLOW_RETRYABLE_ERRORS).not.toContain('Error');
  expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
});

test.each([
  ['results', RESULTS_KEY, 'NoSuchKey'],
  ['summary', SUMMARY_KEY, 'NoSuchKey'],
  ['results', RESULTS_KEY, 'NotFound'],
])('reports a succeeded job whose %s object is gone (%s) as FAILED with stage RESULTS, counting nothing', async (_, key, errorName) => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultLine('s3://u/1.jpg', [label('Drugs', 90)]));
  s3.on(GetObjectCommand, { Key: key }).rejects(Object.assign(new Error('The specified key does not exist.'), { name: errorName }));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step).toMatchObject({ done: true, status: 'FAILED' });
  expect(step.detail).toMatchObject({
    status: 'FAILED',
    jobId: JOB_ID,
    failure: { code: 'RESULTS_NOT_FOUND', stage: 'RESULTS', message: expect.stringContaining(`s3://${OUTPUT_BUCKET}/${key}`) },
    output: { results: `s3://${OUTPUT_BUCKET}/${RESULTS_KEY}`, summary: `s3://${OUTPUT_BUCKET}/${SUMMARY_KEY}`, flaggedImages: null },
    statistics: null,
    moderation: null,
  });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  // The line the JobsFailed metric filter counts.
  expect(trackerLogLine()).toMatchObject({ level: 'INFO', done: true, status: 'FAILED', failureStage: 'RESULTS' });
});

test('keeps a failed job\'s own failure (stage JOB) when its summary is gone, without statistics', async () => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'FAILED', FailureDetails: { Code: 'INVALID_MANIFEST', Message: 'bad' }, Results: undefined }));
  s3.on(GetObjectCommand, { Key: SUMMARY_KEY }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchKey' }));

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step.detail).toMatchObject({ status: 'FAILED', failure: { code: 'INVALID_MANIFEST', stage: 'JOB' }, statistics: null });
  expect(schemaErrors(step.detail)).toEqual([]);
});

describe('tracking timeout', () => {
  const TIMEOUT_SECONDS = 3600;
  const STARTED_AT = '2026-11-30T10:00:00.000Z';

  beforeEach(() => {
    process.env.TRACKING_TIMEOUT_SECONDS = String(TIMEOUT_SECONDS);
    rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'IN_PROGRESS', Results: undefined, ManifestSummary: undefined, CompletionTimestamp: undefined }));
  });

  afterEach(() => {
    delete process.env.TRACKING_TIMEOUT_SECONDS;
    jest.useRealTimers();
  });

  function at(iso: string): void {
    jest.useFakeTimers({ now: new Date(iso), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'] });
  }

  test('keeps polling a running job before the timeout has run out', async () => {
    // GIVEN one second before the deadline
    at('2026-11-30T10:59:59.000Z');

    // WHEN
    const step = await handler(trackingInput({ tracking: { startedAt: STARTED_AT } }));

    // THEN
    expect(step).toEqual({ done: false, status: 'IN_PROGRESS' });
  });

  test('reports a job still running at the timeout as FAILED with stage TRACKING_TIMEOUT', async () => {
    // GIVEN the deadline reached
    at('2026-11-30T11:00:00.000Z');

    // WHEN
    const step = await handler(trackingInput({ tracking: { startedAt: STARTED_AT } }));

    // THEN
    expect(step).toMatchObject({ done: true, status: 'FAILED' });
    expect(step.detail).toMatchObject({
      status: 'FAILED',
      jobId: JOB_ID,
      failure: { code: 'TRACKING_TIMEOUT', stage: 'TRACKING_TIMEOUT', message: expect.stringContaining('still IN_PROGRESS after the tracking timeout (3600 s)') },
      output: { results: null, summary: null, flaggedImages: null },
    });
    expect(schemaErrors(step.detail)).toEqual([]);
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(trackerLogLine()).toMatchObject({ done: true, status: 'FAILED', failureStage: 'TRACKING_TIMEOUT' });
  });

  test('reports a finished job as it is, even past the timeout', async () => {
    // GIVEN
    at('2026-12-30T11:00:00.000Z');
    rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'FAILED', FailureDetails: { Code: 'INTERNAL_ERROR', Message: 'x' }, Results: undefined, ManifestSummary: undefined }));

    // WHEN
    const step = await handler(trackingInput({ tracking: { startedAt: STARTED_AT } }));

    // THEN
    expect(step.detail?.failure).toMatchObject({ code: 'INTERNAL_ERROR', stage: 'JOB' });
  });

  test('keeps polling without a tracking context (another workflow calls the tracker)', async () => {
    // GIVEN
    at('2027-11-30T11:00:00.000Z');

    // WHEN / THEN
    await expect(handler(trackingInput())).resolves.toEqual({ done: false, status: 'IN_PROGRESS' });
  });

  test('fails with ConfigError naming the variable when the timeout is not a whole number', async () => {
    process.env.TRACKING_TIMEOUT_SECONDS = 'a week';

    await expect(handler(trackingInput())).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringContaining('TRACKING_TIMEOUT_SECONDS') });
  });
});

test('logs with the invocation\'s request id and the pipeline id on every line', async () => {
  // GIVEN
  process.env.PIPELINE_ID = 'pipeline-7';
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob({ Status: 'IN_PROGRESS', Results: undefined, ManifestSummary: undefined }));

  // WHEN
  await handler(trackingInput(), { awsRequestId: 'request-1' } as Context);

  // THEN
  expect(trackerLogLine()).toMatchObject({ message: 'Job tracked', requestId: 'request-1', pipeline: 'pipeline-7', coldStart: expect.any(Boolean) });
});

test('rejects when the flagged list cannot be written', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultLine('s3://u/1.jpg', [label('Drugs', 90)]));
  s3.on(PutObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown' }));

  await expect(handler(trackingInput())).rejects.toMatchObject({ name: 'SlowDown' });
});

test('still reports a job whose summary is malformed, without statistics', async () => {
  // GIVEN
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultLine('s3://u/1.jpg', [label('Drugs', 90)]), '<html>not a summary</html>');

  // WHEN
  const step = await handler(trackingInput());

  // THEN
  expect(step.detail).toMatchObject({ status: 'SUCCEEDED', statistics: null, moderation: { imagesFlagged: 1 } });
  expect(schemaErrors(step.detail)).toEqual([]);
  expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', message: expect.stringMatching(/summary is malformed/), jobId: JOB_ID }));
});

test('counts unreadable result lines apart and warns about them', async () => {
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  serveOutputs(resultsFile([resultLine('s3://u/1.jpg', [label('Drugs', 90)]), 'garbage', '"a string"']));

  const step = await handler(trackingInput());

  expect(step.detail?.moderation).toMatchObject({ imagesAnalyzed: 1, imagesFlagged: 1, unreadableLines: 2 });
  expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', unreadableLines: 2, firstUnreadableLine: 2 }));
});

test('summarises a run the per-image engine describes itself, without calling Rekognition', async () => {
  // GIVEN a finished run in GetMediaAnalysisJob's shape, timestamps as ISO strings
  serveOutputs(resultsFile([resultLine('s3://uploads/1.jpg', [label('Violence', 91)])]));
  const jobDescription = {
    Status: 'SUCCEEDED' as const,
    CreationTimestamp: '2026-05-04T10:00:00.000Z',
    CompletionTimestamp: '2026-05-04T10:05:00.000Z',
    Results: { S3Object: { Bucket: OUTPUT_BUCKET, Name: RESULTS_KEY } },
    ManifestSummary: { S3Object: { Bucket: OUTPUT_BUCKET, Name: SUMMARY_KEY } },
  };

  // WHEN
  const step = await handler({ ...trackingInput({ jobId: undefined }), engine: 'per-image', jobDescription });

  // THEN
  expect(rekognition).not.toHaveReceivedAnyCommand();
  expect(step).toMatchObject({ done: true, status: 'SUCCEEDED' });
  expect(step.detail).toMatchObject({
    engine: 'per-image',
    jobId: null,
    moderation: { imagesAnalyzed: 1, imagesFlagged: 1, labels: { Violence: 1 } },
    timing: { durationSeconds: 300 },
  });
  expect(schemaErrors(step.detail)).toEqual([]);
});

test('fails loudly on an input with neither jobId nor startFailure', async () => {
  await expect(handler(trackingInput({ jobId: undefined }))).rejects.toMatchObject({ name: 'InvalidInputError' });
  expect(rekognition).not.toHaveReceivedAnyCommand();
});

test('streams a 10,000-line results file with bounded memory', async () => {
  // GIVEN 10,000 lines of ~10 KB each (about 100 MB), made only as the tracker pulls them
  const lines = 10_000;
  const padding = 'p'.repeat(10_000);
  const isViolent = (index: number) => index % 4 === 0;
  const isDrugs = (index: number) => !isViolent(index) && index % 10 === 1;
  // Retained memory only: collect garbage before each sample.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapNow = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const baseline = heapNow();
  let peakGrowth = 0;
  const file = lazyLines(lines, (index) => {
    if (index % 1000 === 500) {
      peakGrowth = Math.max(peakGrowth, heapNow() - baseline);
    }
    const labels = isViolent(index) ? [label('Violence', 80), label('Graphic Violence', 80, 'Violence')] : isDrugs(index) ? [label('Drugs & Tobacco', 70)] : [];
    return resultLine(`s3://uploads/images/${index}.jpg`, labels, { padding });
  });
  rekognition.on(GetMediaAnalysisJobCommand).resolves(finishedJob());
  s3.on(GetObjectCommand, { Key: RESULTS_KEY }).resolves({ Body: s3Body(file.stream) });
  s3.on(GetObjectCommand, { Key: SUMMARY_KEY }).callsFake(() => ({ Body: s3Body(summaryJson({ total: lines, valid: lines, invalid: 0 })) }));

  // WHEN
  const step: TrackingStep = await handler(trackingInput());

  // THEN
  let violence = 0;
  let drugs = 0;
  for (let index = 0; index < lines; index++) {
    violence += isViolent(index) ? 1 : 0;
    drugs += isDrugs(index) ? 1 : 0;
  }
  expect(file.produced()).toBe(lines);
  expect(step.detail?.moderation).toEqual({
    minConfidence: 50,
    imagesAnalyzed: lines,
    imagesFlagged: violence + drugs,
    labels: { 'Violence': violence, 'Drugs & Tobacco': drugs },
    unreadableLines: 0,
  });
  expect(flaggedListWritten().lines).toHaveLength(violence + drugs);
  // Holding the file would take 100 MB or more.
  expect(peakGrowth).toBeLessThan(32 * 1024 * 1024);
});
