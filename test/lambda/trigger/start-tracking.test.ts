import { Readable } from 'node:stream';
import { RekognitionClient, RekognitionServiceException, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambda/trigger';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { s3EventBody, sqsEvent, sqsRecord } from '../../support/sqs-s3-events';

const VALID_MANIFEST = '{"source-ref":"s3://manifest-bucket/images/cat.jpg"}\n';

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PipelineTracking';

const rekognition = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
let logs: CapturedLogs;

beforeAll(() => {
  Object.assign(process.env, {
    OUTPUT_BUCKET: 'moderation-results',
    OUTPUT_PREFIX: 'results/',
    MIN_CONFIDENCE: '60',
    JOB_NAME_PREFIX: 'moderation-',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/dlq',
    TRACKING_STATE_MACHINE_ARN: STATE_MACHINE,
  });
});

beforeEach(() => {
  for (const mock of [rekognition, sfn, sqs, s3]) mock.reset();
  rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  // Manifest pre-validation is on by default: it reads each manifest before its job starts.
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(VALID_MANIFEST)]), ContentLength: Buffer.byteLength(VALID_MANIFEST) }));
  logs = captureLogs();
});
afterEach(() => logs.restore());

function sfnError(name: string, status = 400): Error {
  return new SFNServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function executions() {
  return sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

const uploaded = () => sqsEvent(sqsRecord(s3EventBody({ bucket: 'manifests', key: 'manifests/batch 1.jsonl', versionId: 'v1' })));

test('a started job gets one tracking execution named after its token, with the job and where its results go', async () => {
  const response = await handler(uploaded());

  expect(response.batchItemFailures).toEqual([]);
  const start = rekognition.commandCalls(StartMediaAnalysisJobCommand)[0].args[0].input;
  const [execution] = executions();
  expect(execution.stateMachineArn).toBe(STATE_MACHINE);
  expect(execution.name).toBe(start.ClientRequestToken);
  expect(JSON.parse(execution.input!)).toEqual({
    token: start.ClientRequestToken,
    engine: 'bulk',
    manifest: { bucket: 'manifests', key: 'manifests/batch 1.jsonl', version: 'v1' },
    jobName: start.JobName,
    jobId: 'job-1',
    output: { bucket: 'moderation-results', prefix: start.OutputConfig!.S3KeyPrefix },
    minConfidence: 60,
  });
});

test('the same event twice sends byte-identical execution input, and an existing execution counts as tracked', async () => {
  sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'arn:execution' }).rejects(sfnError('ExecutionAlreadyExists'));

  const first = await handler(uploaded());
  const second = await handler(uploaded());

  expect(first.batchItemFailures).toEqual([]);
  expect(second.batchItemFailures).toEqual([]);
  const [a, b] = executions();
  expect(b.name).toBe(a.name);
  expect(b.input).toBe(a.input);
});

test('throttled tracking keeps the message for a delayed retry instead of losing the job', async () => {
  sfn.on(StartExecutionCommand).rejects(sfnError('ThrottlingException'));

  const event = uploaded();
  const response = await handler(event);

  expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
  const [visibility] = sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout!);
  expect(visibility).toBeGreaterThanOrEqual(5);
  expect(visibility).toBeLessThanOrEqual(10);
});

test('a tracking failure that is not transient (missing state machine) is retried as unexpected, not reported as a bad manifest', async () => {
  sfn.on(StartExecutionCommand).rejects(sfnError('StateMachineDoesNotExist'));

  const event = uploaded();
  const response = await handler(event);

  expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
  expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  expect(logs.lines().some((line) => line.message === 'unexpected failure: tracking not started' && line.errorCode === 'StateMachineDoesNotExist')).toBe(true);
});

test('a manifest rejected for good gets a tracking execution carrying the failure and its error report, so one event reports it', async () => {
  rekognition.on(StartMediaAnalysisJobCommand).rejects(new RekognitionServiceException({
    name: 'InvalidManifestException', message: 'empty manifest', $fault: 'client', $metadata: { httpStatusCode: 400 },
  }));

  const response = await handler(uploaded());

  expect(response.batchItemFailures).toEqual([]);
  const input = JSON.parse(executions()[0].input!);
  expect(input.jobId).toBeUndefined();
  expect(input.startFailure).toEqual({
    code: 'InvalidManifestException',
    message: 'empty manifest',
    errorReport: expect.stringMatching(/^s3:\/\/moderation-results\/results\/manifests\/batch_1\.jsonl\/[0-9a-f]{16}\/error-report\.json$/),
  });
});
