import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { handlerBundle, moduleGraph, runBundledHandler } from '../../support/bundled-handler';
import { awsError, JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';
import { LOCAL_S3_CLIENT_ENV, LOCAL_S3_CREDENTIALS, LocalS3, startLocalS3 } from '../../support/local-s3';
import { QUEUE_URL, s3EventBody, sqsEvent, sqsRecord } from '../../support/sqs-s3-events';

// The bundle as shipped, run by Node with the real SDK clients, against local servers.

const START = 'RekognitionService.StartMediaAnalysisJob';
const CHANGE_VISIBILITY = 'AmazonSQS.ChangeMessageVisibility';
const SEND_MESSAGE = 'AmazonSQS.SendMessage';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/manifest-events-dlq';

let bundle: string;
let aws: JsonProtocolDouble;
let s3: LocalS3;
let env: Record<string, string>;

beforeAll(async () => {
  bundle = handlerBundle('trigger');
  [aws, s3] = await Promise.all([startJsonProtocolDouble(), startLocalS3(['moderation-results'])]);
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_REKOGNITION: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
    ...LOCAL_S3_CLIENT_ENV,
    OUTPUT_BUCKET: 'moderation-results',
    OUTPUT_PREFIX: 'results/',
    KMS_KEY_ID: KEY_ARN,
    MIN_CONFIDENCE: '60',
    JOB_NAME_PREFIX: 'moderation-',
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    // These tests are about the Rekognition request and the retry paths; their manifests are not
    // in the local S3 server. validate-manifest-bundled.test.ts runs the bundle with validation on.
    VALIDATE_MANIFESTS: 'false',
  };
});

afterAll(async () => {
  await Promise.all([aws?.stop(), s3?.stop()]);
});

beforeEach(() => {
  aws.clear();
  aws.handle(CHANGE_VISIBILITY, () => ({}));
  // The SDK checks the MD5 of the body SQS says it stored.
  aws.handle(SEND_MESSAGE, (body) => ({ MessageId: 'dlq-1', MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex') }));
});

function sha256(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

test('sends a signed StartMediaAnalysisJob with the decoded key, version and derived token, and reports no failure', async () => {
  aws.handle(START, () => ({ JobId: 'job-from-double' }));
  const key = 'my manifests/batch+1 100% 😀.jsonl';

  const run = await runBundledHandler(bundle, sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key, versionId: 'v-7' }))), env);

  expect(run.response).toEqual({ batchItemFailures: [] });
  const [request] = aws.requestsFor(START);
  expect(aws.requests).toHaveLength(1);
  expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
  expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/rekognition\/aws4_request/);
  const token = sha256('manifest-bucket', key, 'v:v-7');
  expect(request.body).toEqual({
    ClientRequestToken: token,
    JobName: `moderation-batch_1_100___.jsonl-${token.slice(0, 8)}`,
    OperationsConfig: { DetectModerationLabels: { MinConfidence: 60 } },
    Input: { S3Object: { Bucket: 'manifest-bucket', Name: key, Version: 'v-7' } },
    OutputConfig: { S3Bucket: 'moderation-results', S3KeyPrefix: `results/my_manifests/batch+1_100%_😀.jsonl/${token.slice(0, 16)}` },
    KmsKeyId: KEY_ARN,
  });
  expect(run.logs).toContainEqual(expect.objectContaining({ outcome: 'started', jobId: 'job-from-double', token }));
});

test('maps LimitExceededException to a delayed retry: one Rekognition call, ChangeMessageVisibility for every record, items failed', async () => {
  aws.handle(START, () => awsError('LimitExceededException', 'Too many concurrent jobs'));
  const event = sqsEvent(
    sqsRecord(s3EventBody({ key: 'a.jsonl' }), { messageId: 'a', receiptHandle: 'receipt-a' }),
    sqsRecord(s3EventBody({ key: 'b.jsonl' }), { messageId: 'b', receiptHandle: 'receipt-b', receiveCount: 2 }),
  );

  const run = await runBundledHandler(bundle, event, env);

  expect(run.response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
  expect(aws.requestsFor(START)).toHaveLength(1);
  const changes = aws.requestsFor(CHANGE_VISIBILITY).map((request) => request.body);
  expect(changes).toEqual([
    { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-a', VisibilityTimeout: expect.any(Number) },
    { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-b', VisibilityTimeout: expect.any(Number) },
  ]);
  expect(changes[0].VisibilityTimeout).toBeGreaterThanOrEqual(150);
  expect(changes[0].VisibilityTimeout).toBeLessThan(300);
  expect(changes[1].VisibilityTimeout).toBeGreaterThanOrEqual(300);
  expect(changes[1].VisibilityTimeout).toBeLessThan(600);
  expect(run.logs).toContainEqual(expect.objectContaining({ message: 'batch done', deferred: 2, shortCircuited: 1 }));
});

test('forwards a message that keeps failing unexpectedly to the dead-letter queue with its reason', async () => {
  aws.handle(START, () => awsError('SomethingNewException', 'never seen before'));
  const body = s3EventBody({ key: 'a.jsonl' });

  const run = await runBundledHandler(bundle, sqsEvent(sqsRecord(body, { messageId: 'src-1', receiveCount: 5 })), env);

  expect(run.response).toEqual({ batchItemFailures: [] });
  expect(aws.requestsFor(SEND_MESSAGE).map((request) => request.body)).toEqual([{
    QueueUrl: DLQ_URL,
    MessageBody: body,
    MessageAttributes: {
      ErrorCode: { DataType: 'String', StringValue: 'SomethingNewException' },
      ErrorMessage: { DataType: 'String', StringValue: 'never seen before' },
      SourceMessageId: { DataType: 'String', StringValue: 'src-1' },
    },
  }]);
});

test('writes the error report of a permanent failure to S3 and acknowledges the message', async () => {
  aws.handle(START, () => awsError('InvalidManifestException', 'The manifest file is empty'));
  const key = 'in/empty batch.jsonl';

  const run = await runBundledHandler(bundle, sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key, sequencer: '0A' }))), env);

  expect(run.response).toEqual({ batchItemFailures: [] });
  const token = sha256('manifest-bucket', key, 's:0A');
  const reportKey = `results/in/empty_batch.jsonl/${token.slice(0, 16)}/error-report.json`;
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: LOCAL_S3_CREDENTIALS });
  const object = await client.send(new GetObjectCommand({ Bucket: 'moderation-results', Key: reportKey }));
  expect(object.ContentType).toBe('application/json');
  expect(JSON.parse(await object.Body!.transformToString())).toEqual({
    manifest: { bucket: 'manifest-bucket', key, version: null },
    token,
    jobName: `moderation-empty_batch.jsonl-${token.slice(0, 8)}`,
    errorCode: 'InvalidManifestException',
    message: 'The manifest file is empty',
    time: expect.any(String),
    advice: expect.stringContaining('JSON Lines'),
  });
  expect(run.logs).toContainEqual(expect.objectContaining({ outcome: 'rejected', errorReport: `s3://moderation-results/${reportKey}` }));
});

test('keeps the S3 and SQS clients out of the cold start: they load on demand from their own chunks', () => {
  const graph = moduleGraph(bundle);
  const loadedAtStart = graph.statically.map((file) => readFileSync(file, 'utf8')).join('\n');
  const onDemand = graph.onDemand.map((file) => readFileSync(file, 'utf8')).join('\n');

  expect(loadedAtStart).toContain('RekognitionService');
  for (const marker of ['"S3Client"', 'AmazonSQS']) {
    expect(loadedAtStart).not.toContain(marker);
    expect(onDemand).toContain(marker);
  }
});
