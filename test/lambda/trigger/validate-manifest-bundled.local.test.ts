import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handlerBundle, runBundledHandler } from '../../support/bundled-handler';
import { JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS, LocalS3, localS3Client, startLocalS3 } from '../../support/local-s3';
import { s3EventBody, sqsEvent, sqsRecord } from '../../support/sqs-s3-events';

// Manifest pre-validation as shipped: the bundled trigger, with validation on by default, reads
// manifests from a real S3 server (s3rver) and writes its reports there.

const START = 'RekognitionService.StartMediaAnalysisJob';
const START_EXECUTION = 'AWSStepFunctions.StartExecution';
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PipelineTracking';

let bundle: string;
let aws: JsonProtocolDouble;
let s3: LocalS3;
let client: S3Client;
let env: Record<string, string>;

beforeAll(async () => {
  bundle = handlerBundle('trigger');
  [aws, s3] = await Promise.all([startJsonProtocolDouble(), startLocalS3(['manifest-bucket', 'moderation-results'])]);
  client = localS3Client(s3.url);
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_REKOGNITION: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ENDPOINT_URL_SFN: aws.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
    OUTPUT_BUCKET: 'moderation-results',
    OUTPUT_PREFIX: 'results/',
    JOB_NAME_PREFIX: 'moderation-',
    TRACKING_STATE_MACHINE_ARN: STATE_MACHINE,
    // As the construct sets it: the input bucket and the imageBuckets prop. VALIDATE_MANIFESTS is
    // left unset: validation is on by default.
    IMAGE_BUCKETS: 'manifest-bucket,images-bucket',
  };
});

afterAll(async () => {
  client?.destroy();
  await Promise.all([aws?.stop(), s3?.stop()]);
});

beforeEach(() => {
  aws.clear();
  aws.handle(START, () => ({ JobId: 'job-from-double' }));
  aws.handle(START_EXECUTION, () => ({ executionArn: `${STATE_MACHINE}:execution`, startDate: 1_700_000_000 }));
  aws.handle('AmazonSQS.ChangeMessageVisibility', () => ({}));
});

function prefixOf(key: string): string {
  const token = createHash('sha256').update(['manifest-bucket', key, 's:0A'].join('\n')).digest('hex');
  return `results/${key.replace(/\s/g, '_')}/${token.slice(0, 16)}`;
}

async function upload(key: string, text: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: 'manifest-bucket', Key: key, Body: text }));
}

async function readJson(key: string): Promise<any> {
  const object = await client.send(new GetObjectCommand({ Bucket: 'moderation-results', Key: key }));
  return JSON.parse(await object.Body!.transformToString());
}

const run = (key: string) => runBundledHandler(bundle, sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key, sequencer: '0A' }))), env);

test('a bad manifest gets its error report in S3, with line numbers and codes, and no job', async () => {
  const key = 'manifests/bad batch.jsonl';
  await upload(key, [
    '{"source-ref":"s3://images-bucket/cats/1.jpg"}',
    'cats/2.jpg',
    '{"source-ref":"s3://someone-elses-bucket/3.jpg"}',
    '{"source-ref":"s3://manifest-bucket/4.webp"}',
  ].join('\n'));

  const result = await run(key);

  expect(result.response).toEqual({ batchItemFailures: [] });
  expect(aws.requestsFor(START)).toHaveLength(0);
  const reportKey = `${prefixOf(key)}/error-report.json`;
  const report = await readJson(reportKey);
  expect(report).toMatchObject({
    errorCode: 'ManifestValidationFailed',
    message: expect.stringMatching(/^BUCKET_NOT_GRANTED: .*"someone-elses-bucket" \(first at line 3\)/),
    validation: {
      verdict: 'reject',
      rejectReason: { code: 'BUCKET_NOT_GRANTED' },
      statistics: { totalLines: 4, validLines: 1, invalidLines: 3, complete: true },
      errorCount: 3,
    },
  });
  expect(report.validation.errors.map((error: any) => [error.lineNumber, error.code])).toEqual([[2, 'NOT_JSON'], [3, 'BUCKET_NOT_GRANTED'], [4, 'NOT_AN_IMAGE']]);
  const [execution] = aws.requestsFor(START_EXECUTION);
  expect(JSON.parse(execution.body.input).startFailure).toEqual({ code: 'ManifestValidationFailed', message: report.message, errorReport: `s3://moderation-results/${reportKey}` });
  expect(result.logs).toContainEqual(expect.objectContaining({ outcome: 'rejected', errorCode: 'ManifestValidationFailed' }));
});

test('a manifest with problem lines starts its job and gets validation-report.json beside the results', async () => {
  const key = 'manifests/mostly good.jsonl';
  await upload(key, '{"source-ref":"s3://images-bucket/1.jpg"}\n\n{"source-ref":"s3://images-bucket/2.png"}\n');

  const result = await run(key);

  expect(result.response).toEqual({ batchItemFailures: [] });
  expect(aws.requestsFor(START)).toHaveLength(1);
  const report = await readJson(`${prefixOf(key)}/validation-report.json`);
  expect(report).toMatchObject({
    jobId: 'job-from-double',
    validation: { verdict: 'warnings', statistics: { totalLines: 3, validLines: 2, invalidLines: 1 }, errors: [{ lineNumber: 2, code: 'EMPTY_LINE', sourceRef: null }] },
  });
  expect(result.logs).toContainEqual(expect.objectContaining({ outcome: 'started', validationReport: `s3://moderation-results/${prefixOf(key)}/validation-report.json` }));
});

test('a manifest deleted before the trigger ran is reported as ManifestNotFound', async () => {
  const key = 'manifests/deleted.jsonl';

  const result = await run(key);

  expect(result.response).toEqual({ batchItemFailures: [] });
  expect(aws.requestsFor(START)).toHaveLength(0);
  expect(await readJson(`${prefixOf(key)}/error-report.json`)).toMatchObject({ errorCode: 'ManifestNotFound', message: expect.stringContaining('NoSuchKey') });
});
