import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { JsonProtocolDouble, startJsonProtocolDouble } from '../../support/json-protocol-double';

type LazyClients = typeof import('../../../lambda/common/lazy-clients');

/** A fresh copy of the module, as a new Lambda container would load it. */
function freshModule(): LazyClients {
  let loaded: LazyClients | undefined;
  jest.isolateModules(() => {
    loaded = require('../../../lambda/common/lazy-clients');
  });
  return loaded!;
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('lazyS3', () => {
  test('creates one client per container', async () => {
    const { lazyS3 } = freshModule();

    const [first, second] = await Promise.all([lazyS3(), lazyS3()]);

    expect(first.client).toBe(second.client);
    expect((await lazyS3()).client).toBe(first.client);
  });

  test('uses path-style addressing only when S3_FORCE_PATH_STYLE is true', async () => {
    process.env.S3_FORCE_PATH_STYLE = 'true';
    const pathStyle = await freshModule().lazyS3();
    delete process.env.S3_FORCE_PATH_STYLE;
    const virtualHosted = await freshModule().lazyS3();

    expect(pathStyle.client.config.forcePathStyle).toBe(true);
    expect(virtualHosted.client.config.forcePathStyle).toBe(false);
  });
});

describe('lazySqs', () => {
  let double: JsonProtocolDouble;

  beforeAll(async () => {
    double = await startJsonProtocolDouble({ 'AmazonSQS.ChangeMessageVisibility': () => ({}) });
  });
  afterAll(() => double.stop());

  test('creates one client per container', async () => {
    const { lazySqs } = freshModule();

    expect((await lazySqs()).client).toBe((await lazySqs()).client);
  });

  test('sends to the configured endpoint even when the QueueUrl names another host', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SQS: double.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const { client } = await freshModule().lazySqs();

    await client.send(new ChangeMessageVisibilityCommand({
      QueueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/q',
      ReceiptHandle: 'r',
      VisibilityTimeout: 30,
    }));

    expect(double.requestsFor('AmazonSQS.ChangeMessageVisibility')).toHaveLength(1);
  });
});
