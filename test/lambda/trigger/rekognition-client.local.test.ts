import { StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { createRekognitionClient } from '../../../lambda/trigger/rekognition-client';
import { awsError, inSequence, JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';

const TARGET = 'RekognitionService.StartMediaAnalysisJob';
const REQUEST = {
  ClientRequestToken: 'a'.repeat(64),
  OperationsConfig: { DetectModerationLabels: {} },
  Input: { S3Object: { Bucket: 'manifest-bucket', Name: 'm.jsonl' } },
  OutputConfig: { S3Bucket: 'moderation-results' },
};

let double: JsonProtocolDouble;
const saved = { ...process.env };

beforeAll(async () => {
  double = await startJsonProtocolDouble();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_REKOGNITION: double.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  process.env = saved;
  await double.stop();
});
beforeEach(() => double.clear());

describe('createRekognitionClient', () => {
  test('does not retry LimitExceededException within the invocation: a job slot takes far longer to free', async () => {
    double.handle(TARGET, () => awsError('LimitExceededException', 'too many jobs'));

    await expect(createRekognitionClient().send(new StartMediaAnalysisJobCommand(REQUEST))).rejects.toMatchObject({ name: 'LimitExceededException' });
    expect(double.requestsFor(TARGET)).toHaveLength(1);
  });

  test('retries a ThrottlingException and returns the result of the retry', async () => {
    double.handle(TARGET, inSequence(awsError('ThrottlingException', 'slow down'), { JobId: 'job-1' }));

    const response = await createRekognitionClient().send(new StartMediaAnalysisJobCommand(REQUEST));

    expect(response.JobId).toBe('job-1');
    expect(double.requestsFor(TARGET)).toHaveLength(2);
  });

  test('gives up on a server error after 3 attempts, resending the same token each time', async () => {
    double.handle(TARGET, () => awsError('InternalServerError', 'oops'));

    await expect(createRekognitionClient().send(new StartMediaAnalysisJobCommand(REQUEST))).rejects.toMatchObject({ name: 'InternalServerError' });
    const tokens = double.requestsFor(TARGET).map((request) => request.body.ClientRequestToken);
    expect(tokens).toEqual([REQUEST.ClientRequestToken, REQUEST.ClientRequestToken, REQUEST.ClientRequestToken]);
  });

  test('does not retry a permanent error', async () => {
    double.handle(TARGET, () => awsError('InvalidManifestException', 'empty'));

    await expect(createRekognitionClient().send(new StartMediaAnalysisJobCommand(REQUEST))).rejects.toMatchObject({ name: 'InvalidManifestException' });
    expect(double.requestsFor(TARGET)).toHaveLength(1);
  });
});
