import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RekognitionClient, RekognitionServiceException, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambda/trigger';
import { PERMANENT_SERVICE_ERRORS } from '../../../lib/common/contract/error-names';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { QUEUE_URL, s3EventBody, sqsEvent, sqsRecord, TEST_EVENT_BODY } from '../../support/sqs-s3-events';

const VALID_MANIFEST = '{"source-ref":"s3://manifest-bucket/images/cat.jpg"}\n';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ADAPTER = 'arn:aws:rekognition:us-east-1:111122223333:project/moderation/version/v1/1700000000000';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/manifest-events-dlq';

const rekognition = mockClient(RekognitionClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
let logs: CapturedLogs;

beforeAll(() => {
  // Read by the handler on its first invocation, once for the container.
  Object.assign(process.env, {
    OUTPUT_BUCKET: 'moderation-results',
    OUTPUT_PREFIX: 'results/',
    KMS_KEY_ID: KEY_ARN,
    MIN_CONFIDENCE: '60',
    PROJECT_VERSION: ADAPTER,
    JOB_NAME_PREFIX: 'moderation-',
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    UNEXPECTED_ERROR_ATTEMPTS: '5',
  });
});

beforeEach(() => {
  rekognition.reset();
  sqs.reset();
  s3.reset();
  rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  s3.on(PutObjectCommand).resolves({});
  // Manifest pre-validation is on by default: it reads each manifest before its job starts.
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(VALID_MANIFEST)]), ContentLength: Buffer.byteLength(VALID_MANIFEST) }));
  logs = captureLogs();
});
afterEach(() => logs.restore());

function sha256(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

function startInputs() {
  return rekognition.commandCalls(StartMediaAnalysisJobCommand).map((call) => call.args[0].input);
}

/** A Rekognition error as the SDK raises it. */
function serviceError(name: string, status = 400): Error {
  return new RekognitionServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function visibilityTimeouts(): number[] {
  return sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout!);
}

describe('starting jobs', () => {
  test('starts a job for an uploaded manifest with every request field derived from the event and the configuration', async () => {
    const key = 'incoming/My Batch+1 100%.jsonl';
    const event = sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key, versionId: 'v-111' })));

    const response = await handler(event);

    const token = sha256('manifest-bucket', key, 'v:v-111');
    expect(response).toEqual({ batchItemFailures: [] });
    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
    expect(startInputs()[0]).toEqual({
      ClientRequestToken: token,
      JobName: `moderation-My_Batch_1_100_.jsonl-${token.slice(0, 8)}`,
      OperationsConfig: { DetectModerationLabels: { MinConfidence: 60, ProjectVersion: ADAPTER } },
      Input: { S3Object: { Bucket: 'manifest-bucket', Name: key, Version: 'v-111' } },
      OutputConfig: { S3Bucket: 'moderation-results', S3KeyPrefix: `results/incoming/My_Batch+1_100%.jsonl/${token.slice(0, 16)}` },
      KmsKeyId: KEY_ARN,
    });
  });

  test('logs the started job with manifest, version, token, job id and job name', async () => {
    await handler(sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'a.jsonl', versionId: 'v-1' }))));

    expect(logs.withOutcome('started')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        manifest: 's3://manifest-bucket/a.jsonl',
        version: 'v-1',
        token: sha256('manifest-bucket', 'a.jsonl', 'v:v-1'),
        jobId: 'job-1',
        jobName: expect.stringMatching(/^moderation-a\.jsonl-[0-9a-f]{8}$/),
      }),
    ]);
  });

  test('gives a duplicate delivery of the same event the same token, so Rekognition returns the same job', async () => {
    const body = s3EventBody({ key: 'batch.jsonl', versionId: 'v-1' });

    await handler(sqsEvent(sqsRecord(body, { messageId: 'first' }), sqsRecord(body, { messageId: 'duplicate' })));

    const [first, second] = startInputs();
    expect(second.ClientRequestToken).toBe(first.ClientRequestToken);
  });

  test('gives a new version of the manifest a new token', async () => {
    await handler(sqsEvent(
      sqsRecord(s3EventBody({ key: 'batch.jsonl', versionId: 'v-1' }), { messageId: 'm1' }),
      sqsRecord(s3EventBody({ key: 'batch.jsonl', versionId: 'v-2' }), { messageId: 'm2' }),
    ));

    const [first, second] = startInputs();
    expect(second.ClientRequestToken).not.toBe(first.ClientRequestToken);
    expect(second.OutputConfig?.S3KeyPrefix).not.toBe(first.OutputConfig?.S3KeyPrefix);
  });

  test('derives the token of an unversioned upload from its sequencer and sends no Version', async () => {
    await handler(sqsEvent(
      sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'batch.jsonl', sequencer: '0065A1' }), { messageId: 'm1' }),
      sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'batch.jsonl', sequencer: '0065A2' }), { messageId: 'm2' }),
    ));

    const [first, second] = startInputs();
    expect(first.ClientRequestToken).toBe(sha256('manifest-bucket', 'batch.jsonl', 's:0065A1'));
    expect(second.ClientRequestToken).toBe(sha256('manifest-bucket', 'batch.jsonl', 's:0065A2'));
    expect(first.Input?.S3Object).not.toHaveProperty('Version');
  });

  test('starts one job per manifest when a message names several', async () => {
    const body = JSON.stringify({
      Records: [JSON.parse(s3EventBody({ key: 'a.jsonl' })).Records[0], JSON.parse(s3EventBody({ key: 'b.jsonl' })).Records[0]],
    });

    const response = await handler(sqsEvent(sqsRecord(body)));

    expect(startInputs().map((input) => input.Input?.S3Object?.Name)).toEqual(['a.jsonl', 'b.jsonl']);
    expect(response.batchItemFailures).toEqual([]);
  });

  test('processes the records of a batch one at a time', async () => {
    let running = 0;
    let mostAtOnce = 0;
    rekognition.on(StartMediaAnalysisJobCommand).callsFake(async () => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return { JobId: 'job-1' };
    });

    await handler(sqsEvent(...['a', 'b', 'c'].map((name) => sqsRecord(s3EventBody({ key: `${name}.jsonl` }), { messageId: name }))));

    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 3);
    expect(mostAtOnce).toBe(1);
  });
});

describe('skipping what is not a manifest upload', () => {
  test.each([
    ['the s3:TestEvent', TEST_EVENT_BODY],
    ['malformed JSON', '{"Records": ['],
    ['a message from another source', JSON.stringify({ hello: 'world' })],
    ['an ObjectRemoved event', s3EventBody({ eventName: 'ObjectRemoved:Delete' })],
  ])('acknowledges %s with a log line and starts nothing', async (_, body) => {
    const response = await handler(sqsEvent(sqsRecord(body)));

    expect(response.batchItemFailures).toEqual([]);
    expect(rekognition).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    expect(logs.withOutcome('skipped')).toEqual([expect.objectContaining({ messageId: 'message-1', reason: expect.any(String) })]);
  });
});

describe('deferring retryable failures', () => {
  test.each([
    // class, attempt, error, expected delay range [step / 2, step)
    ['capacity', 1, () => serviceError('LimitExceededException'), 150, 300],
    ['capacity', 3, () => serviceError('LimitExceededException'), 600, 1200],
    ['capacity', 10, () => serviceError('LimitExceededException'), 1800, 3600],
    ['throttled', 1, () => serviceError('ThrottlingException'), 5, 10],
    ['throttled', 7, () => serviceError('ThrottlingException'), 320, 640],
    ['transient', 2, () => serviceError('InternalServerError', 500), 30, 60],
    ['transient', 1, () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 15, 30],
  ])('keeps a %s failure on attempt %i for later: visibility set to a delay in the schedule, item reported failed', async (_, attempt, error, low, high) => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(error());

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(), { receiveCount: attempt, receiptHandle: 'receipt-abc' })));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-abc' });
    const [delay] = visibilityTimeouts();
    expect(delay).toBeGreaterThanOrEqual(low);
    expect(delay).toBeLessThan(high);
    expect(logs.withOutcome('deferred')).toEqual([expect.objectContaining({ errorCode: expect.any(String), delaySeconds: delay })]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('still reports the item failed, with a warning, when the visibility cannot be changed', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(serviceError('ThrottlingException'));
    sqs.on(ChangeMessageVisibilityCommand).rejects(Object.assign(new Error('receipt handle expired'), { name: 'ReceiptHandleIsInvalid' }));

    const response = await handler(sqsEvent(sqsRecord(s3EventBody())));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', errorCode: 'ReceiptHandleIsInvalid' }));
  });

  test('defers the rest of the batch after the first LimitExceededException without calling Rekognition again', async () => {
    rekognition.on(StartMediaAnalysisJobCommand)
      .resolvesOnce({ JobId: 'job-1' })
      .rejects(serviceError('LimitExceededException'));
    const records = ['a', 'b', 'c', 'd'].map((name) => sqsRecord(s3EventBody({ key: `${name}.jsonl` }), { messageId: name }));

    const response = await handler(sqsEvent(...records));

    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 2);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }, { itemIdentifier: 'c' }, { itemIdentifier: 'd' }]);
    expect(visibilityTimeouts()).toHaveLength(3);
    visibilityTimeouts().forEach((delay) => expect(delay).toBeGreaterThanOrEqual(150));
    expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'batch done', started: 1, deferred: 3, shortCircuited: 2 }));
  });
  test('starts afresh in the next batch: the capacity short-circuit lasts one invocation', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejectsOnce(serviceError('LimitExceededException')).resolves({ JobId: 'job-2' });

    await handler(sqsEvent(sqsRecord(s3EventBody({ key: 'a.jsonl' }))));
    const response = await handler(sqsEvent(sqsRecord(s3EventBody({ key: 'b.jsonl' }))));

    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 2);
    expect(response.batchItemFailures).toEqual([]);
  });
});

// Every error the contract calls permanent, but IdempotentParameterMismatch: it means the job already runs.
const REPORTED_PERMANENT_ERRORS = PERMANENT_SERVICE_ERRORS.filter((name) => name !== 'IdempotentParameterMismatchException');

describe('rejecting permanent failures', () => {
  test.each(REPORTED_PERMANENT_ERRORS)('writes an error report for %s and acknowledges the message', async (code) => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(serviceError(code));
    const event = sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', versionId: 'v-9' })));

    const response = await handler(event);

    const token = sha256('manifest-bucket', 'in/batch 1.jsonl', 'v:v-9');
    const prefix = `results/in/batch_1.jsonl/${token.slice(0, 16)}`;
    expect(response.batchItemFailures).toEqual([]);
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({
      Bucket: 'moderation-results',
      Key: `${prefix}/error-report.json`,
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
    });
    expect(JSON.parse(String(put.Body))).toEqual({
      manifest: { bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', version: 'v-9' },
      token,
      jobName: `moderation-batch_1.jsonl-${token.slice(0, 8)}`,
      errorCode: code,
      message: `${code} from the test`,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      advice: expect.stringMatching(/\.$/),
    });
    expect(logs.withOutcome('rejected')).toEqual([expect.objectContaining({ errorCode: code, errorReport: `s3://moderation-results/${prefix}/error-report.json` })]);
  });

  test('rejects a request that breaks the API limits without calling Rekognition', async () => {
    const key = 'k'.repeat(1025);

    const response = await handler(sqsEvent(sqsRecord(s3EventBody({ key }))));

    expect(response.batchItemFailures).toEqual([]);
    expect(rekognition).not.toHaveReceivedCommand(StartMediaAnalysisJobCommand);
    const report = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body));
    expect(report).toMatchObject({ errorCode: 'InvalidJobRequest', message: expect.stringContaining('Input.S3Object.Name') });
  });

  test('retries the message when the error report cannot be written', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(serviceError('InvalidManifestException'));
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $fault: 'client' }));

    const response = await handler(sqsEvent(sqsRecord(s3EventBody())));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
    expect(logs.withOutcome('retry')).toEqual([expect.objectContaining({ errorCode: 'AccessDenied' })]);
  });
});

describe('a manifest version whose job was started with other settings', () => {
  // A redeploy changed the job settings, then S3 redelivered the event: the same token with other
  // parameters. The first job is the manifest's one fate.
  test('acknowledges IdempotentParameterMismatchException with a WARN naming the token, writing no error report', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(serviceError('IdempotentParameterMismatchException'));
    const event = sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifest-bucket', key: 'in/batch.jsonl', versionId: 'v-2' })));

    const response = await handler(event);

    const token = sha256('manifest-bucket', 'in/batch.jsonl', 'v:v-2');
    expect(response.batchItemFailures).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(logs.withOutcome('rejected')).toEqual([]);
    expect(logs.withOutcome('already-started')).toEqual([expect.objectContaining({
      level: 'WARN',
      token,
      errorCode: 'IdempotentParameterMismatchException',
      message: expect.stringMatching(/already started .* other settings/),
    })]);
  });
});

describe('logging', () => {
  test('writes the stage, request id and cold start on every line of an invocation', async () => {
    await handler(sqsEvent(sqsRecord(s3EventBody({ key: 'logged.jsonl' }))), { awsRequestId: 'request-7' } as Context);

    const lines = logs.lines();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatchObject({ stage: 'trigger', requestId: 'request-7', coldStart: expect.any(Boolean) });
  });
});

describe('unexpected failures', () => {
  test.each([1, 2, 3, 4])('reports the item failed with the default visibility on attempt %p', async (attempt) => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new TypeError('Cannot read properties of undefined'));

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(), { receiveCount: attempt })));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(sqs).not.toHaveReceivedAnyCommand();
    expect(logs.withOutcome('retry')).toEqual([expect.objectContaining({ errorCode: 'TypeError' })]);
  });

  test('forwards the original message to the dead-letter queue with the reason on attempt 5, and acknowledges it', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new TypeError('Cannot read properties of undefined'));
    const body = s3EventBody({ key: 'batch.jsonl' });

    const response = await handler(sqsEvent(sqsRecord(body, { receiveCount: 5, messageId: 'source-1' })));

    expect(response.batchItemFailures).toEqual([]);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: DLQ_URL,
      MessageBody: body,
      MessageAttributes: {
        ErrorCode: { DataType: 'String', StringValue: 'TypeError' },
        ErrorMessage: { DataType: 'String', StringValue: 'Cannot read properties of undefined' },
        SourceMessageId: { DataType: 'String', StringValue: 'source-1' },
      },
    });
    expect(logs.withOutcome('forwarded-to-dlq')).toEqual([expect.objectContaining({ messageId: 'source-1', errorCode: 'TypeError' })]);
  });

  test('reports the item failed when forwarding to the dead-letter queue fails', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new TypeError('boom'));
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client' }));

    const response = await handler(sqsEvent(sqsRecord(s3EventBody(), { receiveCount: 6 })));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(logs.withOutcome('forwarded-to-dlq')).toEqual([]);
  });
});

describe('partial batches', () => {
  test('one bad record never fails the others', async () => {
    rekognition.on(StartMediaAnalysisJobCommand)
      .resolves({ JobId: 'job-ok' })
      .on(StartMediaAnalysisJobCommand, { Input: { S3Object: { Bucket: 'manifest-bucket', Name: 'broken.jsonl' } } }, false)
      .rejects(new TypeError('boom'));
    const records = [
      sqsRecord(s3EventBody({ key: 'first.jsonl' }), { messageId: 'first' }),
      sqsRecord('not json', { messageId: 'garbage' }),
      sqsRecord(s3EventBody({ key: 'broken.jsonl' }), { messageId: 'broken' }),
      sqsRecord(TEST_EVENT_BODY, { messageId: 'test-event' }),
      sqsRecord(s3EventBody({ key: 'last.jsonl' }), { messageId: 'last' }),
    ];

    const response = await handler(sqsEvent(...records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] });
    expect(logs.withOutcome('started').map((line) => line.manifest)).toEqual(['s3://manifest-bucket/first.jsonl', 's3://manifest-bucket/last.jsonl']);
  });
});
