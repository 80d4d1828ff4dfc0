import { createHash } from 'node:crypto';
import { RekognitionClient, StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleOnEvent } from '../../../lambda/job/on-event';
import { captureLogs, CapturedLogs } from '../../support/capture-logs';
import { FULL_PROPERTIES, MINIMAL_PROPERTIES, STACK_ID, createEvent, updateEvent } from './fixtures';
import { FakeRuntime } from './runtime-double';

const rekognition = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);

const TRACKING = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineTrackingStateMachine1A2B3C';
const PER_IMAGE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelinePerImageStateMachine1A2B3C';

function expectedToken(properties: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(properties).filter(([name]) => name !== 'ServiceToken').sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update([STACK_ID, 'ModerationJob1A2B3C4D', JSON.stringify(sorted)].join('\n')).digest('hex');
}

function sfnError(name: string, status = 400): Error {
  return new SFNServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function executions() {
  return sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

function tracked(overrides = {}) {
  return new FakeRuntime({ trackingStateMachineArn: TRACKING, ...overrides });
}

let logs: CapturedLogs;
beforeEach(() => {
  rekognition.reset();
  sfn.reset();
  rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: `arn:aws:states:eu-west-1:123456789012:execution:PipelineTrackingStateMachine1A2B3C:x` });
  logs = captureLogs();
});
afterEach(() => logs.restore());

test('a started bulk job gets one tracking execution named after its token, with the input the trigger would give it', async () => {
  const token = expectedToken(FULL_PROPERTIES);

  const response = await handleOnEvent(createEvent(FULL_PROPERTIES), tracked().runtime);

  expect(response.PhysicalResourceId).toBe('job-1');
  const [execution, ...more] = executions();
  expect(more).toEqual([]);
  expect(execution.stateMachineArn).toBe(TRACKING);
  expect(execution.name).toBe(token);
  // Field order matters too: a repeated start must send byte-identical input.
  expect(execution.input).toBe(JSON.stringify({
    token,
    engine: 'bulk',
    manifest: { bucket: 'input-bucket', key: 'manifests/batch 1.jsonl', version: 'v3.Lx9Tk' },
    jobName: `deploy-batch_1.jsonl-${token.slice(0, 8)}`,
    jobId: 'job-1',
    output: { bucket: 'output-bucket', prefix: `results/manifests/batch_1.jsonl/${token.slice(0, 16)}` },
    minConfidence: 75.5,
  }));
  expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'Job tracking started', tracking: 'started', JobId: 'job-1' }));
});

test('optional fields absent from the properties are absent from the input', async () => {
  await handleOnEvent(createEvent(MINIMAL_PROPERTIES), tracked().runtime);

  const input = JSON.parse(executions()[0].input!);
  expect(input.manifest).toEqual({ bucket: 'input-bucket', key: 'manifest.jsonl' });
  expect(input).not.toHaveProperty('minConfidence');
});

test('a repeated Create (a CloudFormation retry) asks for the same execution, and one that exists counts as tracked', async () => {
  sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: 'arn:first' }).rejects(sfnError('ExecutionAlreadyExists'));

  const first = await handleOnEvent(createEvent(FULL_PROPERTIES), tracked().runtime);
  const second = await handleOnEvent(createEvent(FULL_PROPERTIES, { RequestId: 'retry' }), tracked().runtime);

  expect(second).toEqual(first);
  const [a, b] = executions();
  expect(b.name).toBe(a.name);
  expect(b.input).toBe(a.input);
  expect(logs.lines().filter((line) => line.message === 'Job tracking started').map((line) => line.tracking)).toEqual(['started', 'already-tracked']);
});

test('an Update that changes nothing starts no second tracking; one that changes a property tracks the new job', async () => {
  await handleOnEvent(updateEvent(FULL_PROPERTIES, { ...FULL_PROPERTIES }, 'job-1'), tracked().runtime);
  expect(executions()).toEqual([]);

  rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-2' });
  const changed = { ...FULL_PROPERTIES, MinConfidence: '80' };
  await handleOnEvent(updateEvent(FULL_PROPERTIES, changed, 'job-1'), tracked().runtime);
  const [execution] = executions();
  expect(execution.name).toBe(expectedToken(changed));
  expect(JSON.parse(execution.input!)).toMatchObject({ jobId: 'job-2', minConfidence: 80 });
});

test('throttled tracking is retried with backoff within the invocation, then started', async () => {
  sfn.on(StartExecutionCommand)
    .rejectsOnce(sfnError('ThrottlingException'))
    .rejectsOnce(sfnError('ServiceUnavailable', 503))
    .resolves({ executionArn: 'arn:started' });
  const fake = tracked();

  const response = await handleOnEvent(createEvent(FULL_PROPERTIES), fake.runtime);

  expect(response.PhysicalResourceId).toBe('job-1');
  expect(executions()).toHaveLength(3);
  expect(new Set(executions().map((input) => input.name)).size).toBe(1);
  expect(fake.sleeps).toHaveLength(2);
  expect(fake.sleeps[1]).toBeGreaterThan(fake.sleeps[0]);
  expect(logs.lines()).toContainEqual(expect.objectContaining({ message: 'Job tracking started', tracking: 'started' }));
});

test('tracking that stays throttled past the budget does not fail the resource of a running job: it is logged with how to start it by hand', async () => {
  sfn.on(StartExecutionCommand).rejects(sfnError('ThrottlingException'));
  const fake = tracked({ retry: { budgetMs: 10_000, baseDelayMs: 2_000, maxDelayMs: 4_000, safetyMarginMs: 0 } });

  const response = await handleOnEvent(createEvent(FULL_PROPERTIES), fake.runtime);

  expect(response.PhysicalResourceId).toBe('job-1');
  expect(fake.clock).toBeLessThanOrEqual(10_000);
  expect(executions().length).toBeGreaterThan(1);
  const failure = logs.lines().find((line) => line.message.startsWith('Job tracking not started'));
  expect(failure).toMatchObject({ level: 'ERROR', tracking: 'not-started', errorCode: 'ThrottlingException', JobId: 'job-1', executionName: expectedToken(FULL_PROPERTIES) });
  expect(failure!.fix).toContain(`aws stepfunctions start-execution --state-machine-arn ${TRACKING}`);
});

test('a permanent tracking error (no permission) is not retried and does not fail the resource', async () => {
  sfn.on(StartExecutionCommand).rejects(sfnError('AccessDeniedException'));
  const fake = tracked();

  const response = await handleOnEvent(createEvent(FULL_PROPERTIES), fake.runtime);

  expect(response.PhysicalResourceId).toBe('job-1');
  expect(executions()).toHaveLength(1);
  expect(fake.sleeps).toEqual([]);
  expect(logs.lines()).toContainEqual(expect.objectContaining({
    level: 'ERROR', errorCode: 'AccessDeniedException', fix: expect.stringContaining('states:StartExecution'),
  }));
});

test('without a tracking state machine (reportCompletion off, or no pipeline) nothing is started', async () => {
  await handleOnEvent(createEvent(FULL_PROPERTIES), new FakeRuntime().runtime);

  expect(executions()).toEqual([]);
});

test('a job that did not start gets no tracking: the resource fails as before', async () => {
  rekognition.on(StartMediaAnalysisJobCommand).rejects(Object.assign(new Error('bad'), { name: 'InvalidManifestException', $fault: 'client', $metadata: {} }));

  await expect(handleOnEvent(createEvent(FULL_PROPERTIES), tracked().runtime)).rejects.toThrow(/InvalidManifestException/);
  expect(executions()).toEqual([]);
});

test('a per-image run is not tracked: its own workflow reports it', async () => {
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:PipelinePerImageStateMachine1A2B3C:run' });

  await handleOnEvent(createEvent({ ...FULL_PROPERTIES, Engine: 'per-image', PerImageStateMachineArn: PER_IMAGE_MACHINE }), tracked().runtime);

  expect(executions().map((input) => input.stateMachineArn)).toEqual([PER_IMAGE_MACHINE]);
});

