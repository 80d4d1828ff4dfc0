import { createHash } from 'node:crypto';
import {
  AccessDeniedException,
  IdempotentParameterMismatchException,
  InternalServerError,
  InvalidManifestException,
  LimitExceededException,
  RekognitionClient,
  StartMediaAnalysisJobCommand,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleOnEvent } from '../../../lambda/job/on-event';
import { ADAPTER_ARN, FULL_PROPERTIES, MINIMAL_PROPERTIES, RESPONSE_URL, STACK_ID, createEvent, deleteEvent, updateEvent } from './fixtures';
import { FakeRuntime } from './runtime-double';
import { logOutput } from '../../../lambda/common/log';

const rekognition = mockClient(RekognitionClient);
const metadata = { $metadata: {} };

/** The token computed independently of the handler: sha256 of stack id, logical id and sorted properties. */
function expectedToken(properties: Record<string, unknown>, logicalId = 'ModerationJob1A2B3C4D', stackId = STACK_ID): string {
  const sorted = Object.fromEntries(Object.entries(properties).filter(([name]) => name !== 'ServiceToken').sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update([stackId, logicalId, JSON.stringify(sorted)].join('\n')).digest('hex');
}

function startInputs() {
  return rekognition.commandCalls(StartMediaAnalysisJobCommand).map((call) => call.args[0].input);
}

let logs: string[];
beforeEach(() => {
  rekognition.reset();
  logs = [];
  jest.spyOn(logOutput, 'log').mockImplementation((line: string) => void logs.push(line));
  jest.spyOn(logOutput, 'error').mockImplementation((line: string) => void logs.push(line));
});
afterEach(() => jest.restoreAllMocks());

describe('Create', () => {
  test('starts a job with every field derived from the properties', async () => {
    // GIVEN
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-full' });
    const token = expectedToken(FULL_PROPERTIES);

    // WHEN
    const response = await handleOnEvent(createEvent(FULL_PROPERTIES), new FakeRuntime().runtime);

    // THEN
    expect(startInputs()).toEqual([{
      ClientRequestToken: token,
      JobName: `deploy-batch_1.jsonl-${token.slice(0, 8)}`,
      OperationsConfig: { DetectModerationLabels: { MinConfidence: 75.5, ProjectVersion: ADAPTER_ARN } },
      Input: { S3Object: { Bucket: 'input-bucket', Name: 'manifests/batch 1.jsonl', Version: 'v3.Lx9Tk' } },
      OutputConfig: { S3Bucket: 'output-bucket', S3KeyPrefix: `results/manifests/batch_1.jsonl/${token.slice(0, 16)}` },
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
    }]);
    expect(response).toEqual({
      PhysicalResourceId: 'job-full',
      Data: {
        JobId: 'job-full',
        JobName: `deploy-batch_1.jsonl-${token.slice(0, 8)}`,
        OutputPrefix: `results/manifests/batch_1.jsonl/${token.slice(0, 16)}`,
        ClientRequestToken: token,
      },
    });
  });

  test('leaves optional fields out of the request when the properties are absent', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-min' });
    const token = expectedToken(MINIMAL_PROPERTIES);

    await handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime);

    expect(startInputs()).toEqual([{
      ClientRequestToken: token,
      JobName: `moderation-manifest.jsonl-${token.slice(0, 8)}`,
      OperationsConfig: { DetectModerationLabels: {} },
      Input: { S3Object: { Bucket: 'input-bucket', Name: 'manifest.jsonl' } },
      OutputConfig: { S3Bucket: 'output-bucket', S3KeyPrefix: `manifest.jsonl/${token.slice(0, 16)}` },
    }]);
  });

  test('uses the JobName property as it is', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-named' });

    const response = await handleOnEvent(createEvent({ ...MINIMAL_PROPERTIES, JobName: 'nightly.audit_2024-05' }), new FakeRuntime().runtime);

    expect(startInputs()[0].JobName).toBe('nightly.audit_2024-05');
    expect(response.Data?.JobName).toBe('nightly.audit_2024-05');
  });

  test('derives the same token for the same stack, logical id and properties, whatever their order or ServiceToken', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
    const runtime = new FakeRuntime().runtime;
    const reordered = { ...Object.fromEntries(Object.entries(FULL_PROPERTIES).reverse()), ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:other' };

    await handleOnEvent(createEvent(FULL_PROPERTIES), runtime);
    await handleOnEvent(createEvent(reordered, { RequestId: 'another-request' }), runtime);
    await handleOnEvent(createEvent({ ...FULL_PROPERTIES, MinConfidence: '80' }), runtime);
    await handleOnEvent(createEvent(FULL_PROPERTIES, { LogicalResourceId: 'OtherJob' }), runtime);
    await handleOnEvent(createEvent(FULL_PROPERTIES, { StackId: STACK_ID.replace('6f1c2d30', '7a2d3e41') }), runtime);

    const tokens = startInputs().map((input) => input.ClientRequestToken);
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[1]).toBe(tokens[0]);
    expect(new Set(tokens).size).toBe(4);
  });

  test('a retried Create sends the identical request, so Rekognition answers with the same job', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-once' });
    const event = createEvent(FULL_PROPERTIES);

    const first = await handleOnEvent(event, new FakeRuntime().runtime);
    const second = await handleOnEvent(event, new FakeRuntime().runtime);

    const [a, b] = startInputs();
    expect(b).toEqual(a);
    expect(second).toEqual(first);
  });
});

describe('Update', () => {
  test('starts a new job with a new token when a property changed', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-new' });
    const changed = { ...FULL_PROPERTIES, MinConfidence: '90' };

    const response = await handleOnEvent(updateEvent(FULL_PROPERTIES, changed, 'job-old'), new FakeRuntime().runtime);

    const [input] = startInputs();
    expect(input.ClientRequestToken).toBe(expectedToken(changed));
    expect(input.ClientRequestToken).not.toBe(expectedToken(FULL_PROPERTIES));
    expect(input.OperationsConfig?.DetectModerationLabels?.MinConfidence).toBe(90);
    expect(response.PhysicalResourceId).toBe('job-new');
    expect(response.Data).toMatchObject({ JobId: 'job-new', ClientRequestToken: expectedToken(changed) });
  });

  test('starts a new job when an optional property was added', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-new' });

    const response = await handleOnEvent(updateEvent(MINIMAL_PROPERTIES, { ...MINIMAL_PROPERTIES, ManifestVersion: 'v2' }, 'job-old'), new FakeRuntime().runtime);

    expect(startInputs()[0].Input?.S3Object?.Version).toBe('v2');
    expect(response.PhysicalResourceId).toBe('job-new');
  });

  test('keeps the job and returns the same attributes as Create when nothing changed', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).resolves({ JobId: 'job-1' });
    const created = await handleOnEvent(createEvent(FULL_PROPERTIES), new FakeRuntime().runtime);
    rekognition.resetHistory();
    const sameButReordered = { ...Object.fromEntries(Object.entries(FULL_PROPERTIES).reverse()), ServiceTimeout: '600' };

    const updated = await handleOnEvent(updateEvent(FULL_PROPERTIES, sameButReordered, 'job-1'), new FakeRuntime().runtime);

    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(updated).toEqual(created);
  });

  test('fails if the new properties are invalid, without calling Rekognition', async () => {
    await expect(handleOnEvent(updateEvent(MINIMAL_PROPERTIES, { ...MINIMAL_PROPERTIES, MinConfidence: '101' }, 'job-old'), new FakeRuntime().runtime))
      .rejects.toThrow('MinConfidence must be a number from 0 to 100 (given "101")');
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });
});

describe('Delete', () => {
  test.each([
    ['a JobId', 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4'],
    ['the marker of a failed Create', 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'],
    ['a RequestId', 'e4b8c1a0-1111-2222-3333-444455556666'],
  ])('succeeds without calling Rekognition for %s', async (_case, physicalId) => {
    const response = await handleOnEvent(deleteEvent(FULL_PROPERTIES, physicalId), new FakeRuntime().runtime);

    expect(response).toEqual({ PhysicalResourceId: physicalId });
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });

  test('succeeds even when the properties are invalid', async () => {
    const response = await handleOnEvent(deleteEvent({ MinConfidence: 'abc' }, 'job-1'), new FakeRuntime().runtime);

    expect(response).toEqual({ PhysicalResourceId: 'job-1' });
  });
});

describe('errors', () => {
  test('fails with the code, message and advice when the role may not read the manifest', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new AccessDeniedException({
      ...metadata, message: 'User: arn:aws:sts::123456789012:assumed-role/OnEvent is not authorized to perform: s3:GetObject',
    }));

    const failure = handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime);

    await expect(failure).rejects.toThrow(
      'ModerationJob ModerationJob1A2B3C4D: could not start a Rekognition bulk analysis job for s3://input-bucket/manifest.jsonl: '
      + 'AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/OnEvent is not authorized to perform: s3:GetObject. '
      + "Fix: grant the custom resource's role s3:GetObject on the manifest",
    );
    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
  });

  test('fails at once on an invalid manifest, with advice on the manifest format', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new InvalidManifestException({ ...metadata, message: 'The manifest is empty' }));

    await expect(handleOnEvent(createEvent(FULL_PROPERTIES), new FakeRuntime().runtime))
      .rejects.toThrow(/for s3:\/\/input-bucket\/manifests\/batch 1.jsonl \(version v3.Lx9Tk\): InvalidManifestException: The manifest is empty\. Fix: the manifest must be JSON Lines/);
    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
  });

  test('fails with advice when the token was used with other parameters', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new IdempotentParameterMismatchException({ ...metadata, message: 'mismatch' }));

    await expect(handleOnEvent(createEvent(FULL_PROPERTIES), new FakeRuntime().runtime))
      .rejects.toThrow(/IdempotentParameterMismatchException: mismatch\. Fix: .*change any property/);
  });

  test.each([
    ['MinConfidence', 'abc', 'MinConfidence must be a number from 0 to 100 (given "abc")'],
    ['MinConfidence', '101', 'MinConfidence must be a number from 0 to 100 (given "101")'],
    ['WaitForCompletion', 'maybe', `WaitForCompletion must be 'true' or 'false' (given "maybe")`],
    ['OutputBucket', 'x', 'OutputBucket: Invalid OutputConfig.S3Bucket: must be a bucket name: 3-255 characters of [0-9A-Za-z._-] (given "x")'],
    ['ProjectVersion', 'too-short', 'ProjectVersion: Invalid DetectModerationLabels.ProjectVersion: must be an adapter ARN of 20-2048 characters (given "too-short")'],
  ])('fails if %s is %j, naming the property and the value, without calling Rekognition', async (name, value, message) => {
    await expect(handleOnEvent(createEvent({ ...MINIMAL_PROPERTIES, [name]: value }), new FakeRuntime().runtime))
      .rejects.toThrow(`Invalid ModerationJob properties: ${message}`);
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });

  test('fails at once on an unexpected error', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new TypeError('Cannot read properties of undefined'));

    await expect(handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime))
      .rejects.toThrow('TypeError: Cannot read properties of undefined');
    expect(rekognition).toHaveReceivedCommandTimes(StartMediaAnalysisJobCommand, 1);
  });
});

describe('retries', () => {
  test('retries throttling with backoff and the same request, then succeeds', async () => {
    rekognition.on(StartMediaAnalysisJobCommand)
      .rejectsOnce(new ThrottlingException({ ...metadata, message: 'Rate exceeded' }))
      .rejectsOnce(new LimitExceededException({ ...metadata, message: 'Too many jobs' }))
      .resolves({ JobId: 'job-after-retry' });
    const fake = new FakeRuntime();

    const response = await handleOnEvent(createEvent(FULL_PROPERTIES), fake.runtime);

    expect(response.PhysicalResourceId).toBe('job-after-retry');
    const inputs = startInputs();
    expect(inputs).toHaveLength(3);
    expect(inputs[2]).toEqual(inputs[0]);
    // Equal jitter with random() = 0.5: 3/4 of 2 s, then 3/4 of 4 s.
    expect(fake.sleeps).toEqual([1500, 3000]);
  });

  test('retries a temporary service error', async () => {
    rekognition.on(StartMediaAnalysisJobCommand)
      .rejectsOnce(new InternalServerError({ ...metadata, message: 'internal' }))
      .resolves({ JobId: 'job-2' });

    await expect(handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime)).resolves.toMatchObject({ PhysicalResourceId: 'job-2' });
  });

  test('gives up within about a minute, counting the time the SDK spends on its own retries, and says all job slots are busy', async () => {
    const fake = new FakeRuntime();
    rekognition.on(StartMediaAnalysisJobCommand).callsFake(() => {
      fake.clock += 1_000; // the SDK's own attempts inside one send()
      throw new LimitExceededException({ ...metadata, message: 'Too many concurrent jobs' });
    });

    const failure = await handleOnEvent(createEvent(MINIMAL_PROPERTIES), fake.runtime).catch((error: Error) => error);

    const calls = rekognition.commandCalls(StartMediaAnalysisJobCommand).length;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'ModerationJob ModerationJob1A2B3C4D: could not start a Rekognition bulk analysis job for s3://input-bucket/manifest.jsonl '
      + `after ${calls} attempts in 54 s: all concurrent bulk analysis job slots in this account and Region are busy. `
      + 'Last error: LimitExceededException: Too many concurrent jobs. '
      + 'Fix: wait for running jobs to finish (or raise the concurrent job quota in Service Quotas), then deploy again.',
    );
    expect(calls).toBe(7);
    expect(fake.sleeps).toEqual([1500, 3000, 6000, 12000, 12000, 12000]);
    expect(fake.clock).toBeLessThanOrEqual(60_000);
  });

  test('says Rekognition kept throttling when the last error was throttling', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new ThrottlingException({ ...metadata, message: 'Rate exceeded' }));

    await expect(handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime))
      .rejects.toThrow(/Rekognition kept throttling StartMediaAnalysisJob .*Last error: ThrottlingException: Rate exceeded/);
  });

  test('stops retrying early enough to answer before the Lambda timeout', async () => {
    rekognition.on(StartMediaAnalysisJobCommand).rejects(new LimitExceededException({ ...metadata, message: 'Too many concurrent jobs' }));
    const fake = new FakeRuntime();
    const started = 0;
    const lambdaTimeout = 25_000;
    const runtime = { ...fake.runtime, remainingTimeMs: () => lambdaTimeout - (fake.clock - started) };

    await expect(handleOnEvent(createEvent(MINIMAL_PROPERTIES), runtime)).rejects.toThrow(/slots .* are busy/);

    // Budget = 25 s - 10 s safety margin: sleeps of 1.5 + 3 + 6 s fit, the next 12 s does not.
    expect(fake.sleeps).toEqual([1500, 3000, 6000]);
  });
});

describe('logging', () => {
  test('logs the request type, logical id, JobId and outcome, never the ResponseURL', async () => {
    rekognition.on(StartMediaAnalysisJobCommand)
      .resolvesOnce({ JobId: 'job-logged' })
      .rejects(new AccessDeniedException({ ...metadata, message: 'denied' }));

    await handleOnEvent(createEvent(MINIMAL_PROPERTIES), new FakeRuntime().runtime);
    await handleOnEvent(updateEvent(MINIMAL_PROPERTIES, { ...MINIMAL_PROPERTIES, OutputPrefix: 'x/' }, 'job-logged'), new FakeRuntime().runtime).catch(() => undefined);
    await handleOnEvent(deleteEvent(MINIMAL_PROPERTIES, 'job-logged'), new FakeRuntime().runtime);

    const entries = logs.map((line) => JSON.parse(line));
    expect(entries).toContainEqual(expect.objectContaining({ RequestType: 'Create', LogicalResourceId: 'ModerationJob1A2B3C4D', JobId: 'job-logged', outcome: 'started' }));
    expect(entries).toContainEqual(expect.objectContaining({ RequestType: 'Update', outcome: 'failed', errorCode: 'AccessDeniedException' }));
    expect(entries).toContainEqual(expect.objectContaining({ RequestType: 'Delete', JobId: 'job-logged', outcome: 'deleted' }));
    const all = logs.join('\n');
    expect(all).not.toContain(RESPONSE_URL);
    expect(all).not.toContain('X-Amz-Signature');
    expect(all).not.toContain('ResponseURL');
  });
});
