import { RekognitionServiceException } from '@aws-sdk/client-rekognition';
import { SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { TriggerConfig } from '../../../lambda/trigger/config';
import type { JobIdentity } from '../../../lambda/trigger/outcome';
import { fallbackReason, isBulkAnalysisRefused, perImageInput, startPerImage } from '../../../lambda/trigger/start-per-image';
import { trackingInput } from '../../../lambda/trigger/start-tracking';

const sfn = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:PerImage';
const TOKEN = 'b'.repeat(64);

const job: JobIdentity = {
  manifest: { bucket: 'manifests', key: 'manifests/batch 1.jsonl', version: 'v1' },
  token: TOKEN,
  jobName: 'moderation-batch_1.jsonl-bbbbbbbb',
  outputPrefix: `results/manifests/batch_1.jsonl/${TOKEN.slice(0, 16)}`,
};
const config: TriggerConfig = {
  settings: { outputBucket: 'moderation-results', outputPrefix: 'results/', jobNamePrefix: 'moderation-', minConfidence: 60 },
  unexpectedErrorAttempts: 5,
  engine: 'per-image',
  validateManifests: true,
};

function sfnError(name: string, status = 400): Error {
  return new SFNServiceException({ name, message: `${name} from the test`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function rekognitionError(name: string, message: string): Error {
  return new RekognitionServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

beforeEach(() => sfn.reset());

describe('perImageInput', () => {
  test('is the tracking input with engine per-image, and the fallback reason when there is one', () => {
    const bulk = trackingInput(job, config, {});

    expect(perImageInput(job, config)).toEqual({ ...bulk, engine: 'per-image' });
    expect(perImageInput(job, config, 'refused')).toEqual({ ...bulk, engine: 'per-image', fallbackReason: 'refused' });
    expect(perImageInput(job, config).jobId).toBeUndefined();
  });

  test('is byte-identical for the same manifest, so a duplicate start is the same request', () => {
    expect(JSON.stringify(perImageInput(job, config, 'x'))).toBe(JSON.stringify(perImageInput({ ...job }, { ...config }, 'x')));
  });
});

describe('startPerImage', () => {
  test('starts one execution named after the token, with the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
    const input = perImageInput(job, config);

    await expect(startPerImage(input, STATE_MACHINE)).resolves.toBe('started');

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: TOKEN, input: JSON.stringify(input) });
  });

  test('treats an execution that already exists as started: a duplicate event runs nothing twice', async () => {
    sfn.on(StartExecutionCommand).rejects(sfnError('ExecutionAlreadyExists'));

    await expect(startPerImage(perImageInput(job, config), STATE_MACHINE)).resolves.toBe('already-started');
  });

  test('throws every other error for the trigger to classify', async () => {
    sfn.on(StartExecutionCommand).rejects(sfnError('ThrottlingException'));
    await expect(startPerImage(perImageInput(job, config), STATE_MACHINE)).rejects.toMatchObject({ name: 'ThrottlingException' });

    sfn.on(StartExecutionCommand).rejects(sfnError('StateMachineDoesNotExist'));
    await expect(startPerImage(perImageInput(job, config), STATE_MACHINE)).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});

describe('isBulkAnalysisRefused', () => {
  test('AccessDeniedException from StartMediaAnalysisJob is the refusal', () => {
    expect(isBulkAnalysisRefused(rekognitionError('AccessDeniedException', 'You are not authorized to use this feature'))).toBe(true);
  });

  test.each([
    'LimitExceededException',
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'InvalidManifestException',
    'InvalidS3ObjectException',
    'InvalidParameterException',
    'InternalServerError',
  ])('%s is not', (name) => {
    expect(isBulkAnalysisRefused(rekognitionError(name, 'x'))).toBe(false);
  });

  test('neither are network errors or non-errors', () => {
    expect(isBulkAnalysisRefused(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isBulkAnalysisRefused(undefined)).toBe(false);
  });

  test('the fallback reason keeps the original error, bounded', () => {
    expect(fallbackReason(rekognitionError('AccessDeniedException', 'not for you'))).toBe(
      'StartMediaAnalysisJob was refused (AccessDeniedException: not for you); the manifest ran per image');
    expect(fallbackReason(rekognitionError('AccessDeniedException', 'x'.repeat(5000))).length).toBe(1024);
  });
});
