import { createHash } from 'node:crypto';
import {
  AccessDeniedException,
  InvalidManifestException,
  RekognitionClient,
  StartMediaAnalysisJobCommand,
} from '@aws-sdk/client-rekognition';
import { DescribeExecutionCommand, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleOnEvent } from '../../../lambda/job/on-event';
import { logOutput } from '../../../lambda/common/log';
import { FULL_PROPERTIES, MINIMAL_PROPERTIES, STACK_ID, createEvent, deleteEvent, updateEvent } from './fixtures';
import { FakeRuntime } from './runtime-double';

const rekognition = mockClient(RekognitionClient);
const sfn = mockClient(SFNClient);
const metadata = { $metadata: {} };

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:PipelinePerImageStateMachine1A2B3C';
const PER_IMAGE = { ...FULL_PROPERTIES, Engine: 'per-image', PerImageStateMachineArn: STATE_MACHINE };
const AUTO = { ...PER_IMAGE, Engine: 'auto' };

/** The token computed independently of the handler: sha256 of stack id, logical id and sorted properties. */
function expectedToken(properties: Record<string, unknown>, logicalId = 'ModerationJob1A2B3C4D'): string {
  const sorted = Object.fromEntries(Object.entries(properties).filter(([name]) => name !== 'ServiceToken').sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update([STACK_ID, logicalId, JSON.stringify(sorted)].join('\n')).digest('hex');
}

function executionArn(name: string): string {
  return `arn:aws:states:eu-west-1:123456789012:execution:PipelinePerImageStateMachine1A2B3C:${name}`;
}

function sfnError(name: string): Error {
  return new SFNServiceException({ name, message: `${name} from the test`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function startCalls() {
  return sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  rekognition.reset();
  sfn.reset();
  jest.spyOn(logOutput, 'log').mockImplementation(() => undefined);
  jest.spyOn(logOutput, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('Create with Engine per-image', () => {
  test('starts one execution of the per-image workflow, named after the token, with the trigger\'s input shape', async () => {
    // GIVEN
    const token = expectedToken(PER_IMAGE);
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(token), startDate: new Date(), ...metadata });

    // WHEN
    const response = await handleOnEvent(createEvent(PER_IMAGE), new FakeRuntime().runtime);

    // THEN
    const outputPrefix = `results/manifests/batch_1.jsonl/${token.slice(0, 16)}`;
    const jobName = `deploy-batch_1.jsonl-${token.slice(0, 8)}`;
    expect(startCalls()).toHaveLength(1);
    expect(startCalls()[0]).toEqual({ stateMachineArn: STATE_MACHINE, name: token, input: expect.any(String) });
    // Byte for byte what the trigger sends (same members, same order).
    expect(startCalls()[0].input).toBe(JSON.stringify({
      token,
      engine: 'per-image',
      manifest: { bucket: 'input-bucket', key: 'manifests/batch 1.jsonl', version: 'v3.Lx9Tk' },
      jobName,
      output: { bucket: 'output-bucket', prefix: outputPrefix },
      minConfidence: 75.5,
    }));
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(response).toEqual({
      PhysicalResourceId: executionArn(token),
      Data: { JobId: executionArn(token), JobName: jobName, OutputPrefix: outputPrefix, ClientRequestToken: token, Engine: 'per-image' },
    });
  });

  test('leaves version and minConfidence out of the input when the properties do', async () => {
    const properties = { ...MINIMAL_PROPERTIES, Engine: 'per-image', PerImageStateMachineArn: STATE_MACHINE };
    const token = expectedToken(properties);
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(token), startDate: new Date(), ...metadata });

    await handleOnEvent(createEvent(properties), new FakeRuntime().runtime);

    expect(JSON.parse(startCalls()[0].input!)).toEqual({
      token,
      engine: 'per-image',
      manifest: { bucket: 'input-bucket', key: 'manifest.jsonl' },
      jobName: `moderation-manifest.jsonl-${token.slice(0, 8)}`,
      output: { bucket: 'output-bucket', prefix: `manifest.jsonl/${token.slice(0, 16)}` },
    });
  });

  test('a retried Create whose run already exists (ExecutionAlreadyExists) answers with that run', async () => {
    // GIVEN: the first attempt started the run, which has ended since
    const token = expectedToken(PER_IMAGE);
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: executionArn(token), startDate: new Date(), ...metadata })
      .rejects(sfnError('ExecutionAlreadyExists'));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(token), stateMachineArn: STATE_MACHINE, status: 'SUCCEEDED', startDate: new Date(), ...metadata });
    const first = await handleOnEvent(createEvent(PER_IMAGE), new FakeRuntime().runtime);

    // WHEN
    const retried = await handleOnEvent(createEvent(PER_IMAGE), new FakeRuntime().runtime);

    // THEN
    expect(retried).toEqual(first);
    expect(startCalls().map((call) => call.name)).toEqual([token, token]);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArn(token) });
  });

  test('fails with advice when the state machine does not exist', async () => {
    sfn.on(StartExecutionCommand).rejects(sfnError('StateMachineDoesNotExist'));

    await expect(handleOnEvent(createEvent(PER_IMAGE), new FakeRuntime().runtime)).rejects.toThrow(
      /could not start the per-image run of s3:\/\/input-bucket\/manifests\/batch 1\.jsonl.*StateMachineDoesNotExist.*Fix: check that the pipeline/);
  });
});

describe('Update and Delete with Engine per-image', () => {
  test('changed properties start a new execution under a new name', async () => {
    // GIVEN
    const oldToken = expectedToken(PER_IMAGE);
    const changed = { ...PER_IMAGE, ManifestVersion: 'v4' };
    const newToken = expectedToken(changed);
    sfn.on(StartExecutionCommand).callsFake((input) => ({ executionArn: executionArn(input.name), startDate: new Date() }));

    // WHEN
    const response = await handleOnEvent(updateEvent(PER_IMAGE, changed, executionArn(oldToken)), new FakeRuntime().runtime);

    // THEN
    expect(newToken).not.toBe(oldToken);
    expect(startCalls().map((call) => call.name)).toEqual([newToken]);
    expect(JSON.parse(startCalls()[0].input!).manifest.version).toBe('v4');
    expect(response.PhysicalResourceId).toBe(executionArn(newToken));
  });

  test('unchanged properties keep the run and start nothing', async () => {
    const token = expectedToken(PER_IMAGE);

    const response = await handleOnEvent(updateEvent(PER_IMAGE, { ...PER_IMAGE, ServiceToken: 'other' }, executionArn(token)), new FakeRuntime().runtime);

    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(response).toMatchObject({ PhysicalResourceId: executionArn(token), Data: { JobId: executionArn(token), ClientRequestToken: token, Engine: 'per-image' } });
  });

  test('Delete calls nothing and echoes the physical id: the results stay', async () => {
    const response = await handleOnEvent(deleteEvent(PER_IMAGE, executionArn('x')), new FakeRuntime().runtime);

    expect(response).toEqual({ PhysicalResourceId: executionArn('x') });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });
});

describe('Create with Engine auto', () => {
  test('starts a bulk analysis job when the account may', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-auto' });

    const response = await handleOnEvent(createEvent(AUTO), new FakeRuntime().runtime);

    expect(response.PhysicalResourceId).toBe('job-auto');
    expect(response.Data).not.toHaveProperty('Engine');
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  test('runs the manifest per image, saying why, when bulk analysis is refused (AccessDeniedException)', async () => {
    // GIVEN
    const token = expectedToken(AUTO);
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new AccessDeniedException({ message: 'not available to this account', ...metadata }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(token), startDate: new Date(), ...metadata });

    // WHEN
    const response = await handleOnEvent(createEvent(AUTO), new FakeRuntime().runtime);

    // THEN
    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
    expect(startCalls()).toHaveLength(1);
    const input = JSON.parse(startCalls()[0].input!);
    expect(startCalls()[0].name).toBe(token);
    expect(input).toMatchObject({
      token,
      engine: 'per-image',
      fallbackReason: 'StartMediaAnalysisJob was refused (AccessDeniedException: not available to this account); the manifest ran per image',
    });
    expect(Object.keys(input)).toEqual(['token', 'engine', 'fallbackReason', 'manifest', 'jobName', 'output', 'minConfidence']);
    expect(response).toMatchObject({ PhysicalResourceId: executionArn(token), Data: { Engine: 'per-image' } });
  });

  test('does not fall back on any other error (InvalidManifestException)', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new InvalidManifestException({ message: 'empty manifest', ...metadata }));

    await expect(handleOnEvent(createEvent(AUTO), new FakeRuntime().runtime)).rejects.toThrow(/InvalidManifestException: empty manifest/);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});

describe('the Engine properties', () => {
  test('fails on an unknown Engine, naming the value', async () => {
    await expect(handleOnEvent(createEvent({ ...PER_IMAGE, Engine: 'per_image' }), new FakeRuntime().runtime))
      .rejects.toThrow("Engine must be 'bulk', 'per-image' or 'auto' (given \"per_image\")");
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });

  test('fails without a state machine ARN for per-image, and with one for bulk', async () => {
    const { PerImageStateMachineArn: _arn, ...withoutArn } = PER_IMAGE;
    await expect(handleOnEvent(createEvent(withoutArn), new FakeRuntime().runtime))
      .rejects.toThrow("PerImageStateMachineArn must be a state machine ARN with Engine 'per-image' (given \"\")");
    await expect(handleOnEvent(createEvent({ ...PER_IMAGE, PerImageStateMachineArn: 'PerImage' }), new FakeRuntime().runtime))
      .rejects.toThrow('PerImageStateMachineArn must be a state machine ARN');
    await expect(handleOnEvent(createEvent({ ...FULL_PROPERTIES, PerImageStateMachineArn: STATE_MACHINE }), new FakeRuntime().runtime))
      .rejects.toThrow("PerImageStateMachineArn only applies with Engine 'per-image' or 'auto'");
  });

  test("an explicit Engine 'bulk' starts a bulk analysis job as before", async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-bulk' });

    await expect(handleOnEvent(createEvent({ ...FULL_PROPERTIES, Engine: 'bulk' }), new FakeRuntime().runtime)).resolves.toMatchObject({ PhysicalResourceId: 'job-bulk' });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});
