import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { handlerBundle, moduleGraph, runBundledHandler } from '../../support/bundled-handler';
import { schemaErrors } from '../../support/event-schema';
import { awsError, JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS, LocalS3, localS3Client, startLocalS3 } from '../../support/local-s3';
import {
  JOB_ID,
  label,
  OUTPUT_BUCKET,
  OUTPUT_PREFIX,
  RESULTS_KEY,
  resultLine,
  resultsFile,
  SUMMARY_KEY,
  summaryJson,
  TOKEN,
  trackingInput,
} from '../../support/result-fixtures';

// The bundle as shipped, run by Node with the real SDK clients, against a local S3 server
// (s3rver, which accepts and ignores SSE-KMS headers) and a local Rekognition double.

const GET_JOB = 'RekognitionService.GetMediaAnalysisJob';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CREATED = Date.parse('2026-05-04T10:00:00Z') / 1000;

let bundle: string;
let aws: JsonProtocolDouble;
let s3: LocalS3;
let client: S3Client;
let env: Record<string, string>;

beforeAll(async () => {
  bundle = handlerBundle('tracking');
  [aws, s3] = await Promise.all([startJsonProtocolDouble(), startLocalS3([OUTPUT_BUCKET])]);
  client = localS3Client(s3.url);
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_REKOGNITION: aws.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
    KMS_KEY_ID: KEY_ARN,
    PIPELINE_ID: 'bundled-test',
  };
});

afterAll(async () => {
  client?.destroy();
  await Promise.all([aws?.stop(), s3?.stop()]);
});

beforeEach(() => aws.clear());

/** GetMediaAnalysisJob's JSON 1.1 answer: timestamps are epoch seconds on the wire. */
function jobReply(status: string, extra: Record<string, unknown> = {}) {
  return {
    JobId: JOB_ID,
    Status: status,
    OperationsConfig: { DetectModerationLabels: { MinConfidence: 50 } },
    Input: { S3Object: { Bucket: 'uploads', Name: 'manifests/batch-1.jsonl' } },
    OutputConfig: { S3Bucket: OUTPUT_BUCKET, S3KeyPrefix: OUTPUT_PREFIX },
    CreationTimestamp: CREATED,
    ...extra,
  };
}

test('reports a succeeded job from the objects in S3 and writes the flagged list there', async () => {
  // GIVEN
  await client.send(new PutObjectCommand({
    Bucket: OUTPUT_BUCKET,
    Key: RESULTS_KEY,
    Body: resultsFile([
      resultLine('s3://uploads/1.jpg', [label('Violence', 90), label('Graphic Violence', 85, 'Violence')]),
      resultLine('s3://uploads/2.jpg', []),
      resultLine('s3://uploads/3.png', null),
    ]),
  }));
  await client.send(new PutObjectCommand({
    Bucket: OUTPUT_BUCKET,
    Key: SUMMARY_KEY,
    Body: summaryJson({ total: 3, valid: 2, invalid: 1 }, [{ line: 3, sourceRef: 's3://uploads/3.png', code: 'INVALID_IMAGE_DIMENSION', message: 'too small' }]),
  }));
  aws.handle(GET_JOB, () => jobReply('SUCCEEDED', {
    CompletionTimestamp: CREATED + 90,
    Results: { S3Object: { Bucket: OUTPUT_BUCKET, Name: RESULTS_KEY } },
    ManifestSummary: { S3Object: { Bucket: OUTPUT_BUCKET, Name: SUMMARY_KEY } },
  }));

  // WHEN
  const run = await runBundledHandler(bundle, trackingInput(), env);

  // THEN
  expect(run.exitCode).toBe(0);
  expect(aws.requestsFor(GET_JOB).map((request) => request.body)).toEqual([{ JobId: JOB_ID }]);
  const detail = run.response.detail;
  expect(run.response).toMatchObject({ done: true, status: 'SUCCEEDED' });
  expect(detail).toMatchObject({
    pipeline: 'bundled-test',
    statistics: { totalLines: 3, validLines: 2, invalidLines: 1, errorCount: 1 },
    moderation: { imagesAnalyzed: 2, imagesFlagged: 1, labels: { Violence: 1 } },
    output: { flaggedImages: `s3://${OUTPUT_BUCKET}/${OUTPUT_PREFIX}/flagged-images.jsonl` },
    timing: { createdAt: '2026-05-04T10:00:00.000Z', completedAt: '2026-05-04T10:01:30.000Z', durationSeconds: 90 },
  });
  expect(schemaErrors(detail)).toEqual([]);

  const flagged = await client.send(new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: `${OUTPUT_PREFIX}/flagged-images.jsonl` }));
  expect(await flagged.Body?.transformToString()).toBe(`${JSON.stringify({ 'source-ref': 's3://uploads/1.jpg', 'labels': ['Violence', 'Graphic Violence'] })}\n`);
  expect(run.logs).toContainEqual(expect.objectContaining({ message: 'Job tracked', jobId: JOB_ID, token: TOKEN, status: 'SUCCEEDED', done: true }));
});

test('answers a poll of a running job with one log line', async () => {
  aws.handle(GET_JOB, () => jobReply('IN_PROGRESS'));

  const run = await runBundledHandler(bundle, trackingInput(), env);

  expect(run.response).toEqual({ done: false, status: 'IN_PROGRESS' });
  expect(run.logs).toEqual([expect.objectContaining({ level: 'INFO', jobId: JOB_ID, token: TOKEN, status: 'IN_PROGRESS', done: false })]);
});

test('throws ThrottlingException, named as the service named it, once the SDK\'s own retries are spent', async () => {
  aws.handle(GET_JOB, () => awsError('ThrottlingException', 'Rate exceeded'));

  const run = await runBundledHandler(bundle, trackingInput(), env);

  expect(run.exitCode).toBe(1);
  expect(run.response).toEqual({ error: { name: 'ThrottlingException', message: 'Rate exceeded' } });
  expect(aws.requestsFor(GET_JOB).length).toBeGreaterThan(1);
}, 20_000);

test('a cold start loads Rekognition only; S3 is a chunk loaded once a job has finished', () => {
  const graph = moduleGraph(bundle);
  const loadedAtStart = graph.statically.map((file) => readFileSync(file, 'utf8')).join('\n');
  const onDemand = graph.onDemand.map((file) => readFileSync(file, 'utf8')).join('\n');

  expect(loadedAtStart).toContain('RekognitionService');
  expect(loadedAtStart).not.toContain('"S3Client"');
  expect(onDemand).toContain('"S3Client"');
});
