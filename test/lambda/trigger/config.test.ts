import { ConfigError } from '../../../lib/common/contract/environment';
import { triggerEnvironment } from '../../../lib/trigger/trigger-contract';
import { loadConfig } from '../../../lambda/trigger/config';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ADAPTER = 'arn:aws:rekognition:us-east-1:111122223333:project/moderation/version/v1/1700000000000';
const SM_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:Tracking';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/manifest-events-dlq';

const FULL = {
  OUTPUT_BUCKET: 'moderation-results',
  OUTPUT_PREFIX: 'results/',
  KMS_KEY_ID: KEY_ARN,
  MIN_CONFIDENCE: '72.5',
  PROJECT_VERSION: ADAPTER,
  JOB_NAME_PREFIX: 'moderation-',
  DEAD_LETTER_QUEUE_URL: DLQ_URL,
  UNEXPECTED_ERROR_ATTEMPTS: '7',
};

describe('loadConfig', () => {
  test('reads every variable', () => {
    expect(loadConfig(FULL)).toEqual({
      settings: {
        outputBucket: 'moderation-results',
        outputPrefix: 'results/',
        kmsKeyId: KEY_ARN,
        minConfidence: 72.5,
        projectVersion: ADAPTER,
        jobNamePrefix: 'moderation-',
      },
      deadLetterQueueUrl: DLQ_URL,
      unexpectedErrorAttempts: 7,
      engine: 'bulk',
      validateManifests: true,
    });
  });

  test("needs only the output bucket: the construct's default prefixes, no key, Rekognition defaults, 5 unexpected attempts, bulk, validation on", () => {
    expect(loadConfig({ OUTPUT_BUCKET: 'moderation-results' })).toEqual({
      settings: { outputBucket: 'moderation-results', outputPrefix: 'results/', jobNamePrefix: 'moderation-' },
      unexpectedErrorAttempts: 5,
      engine: 'bulk',
      validateManifests: true,
    });
  });

  test('treats empty optional variables as absent, and empty prefixes as no prefix', () => {
    const config = loadConfig({
      OUTPUT_BUCKET: 'b-1', OUTPUT_PREFIX: '', JOB_NAME_PREFIX: '', KMS_KEY_ID: '', MIN_CONFIDENCE: '', PROJECT_VERSION: '', DEAD_LETTER_QUEUE_URL: '', UNEXPECTED_ERROR_ATTEMPTS: '',
    });

    expect(config).toEqual({ settings: { outputBucket: 'b-1', outputPrefix: '', jobNamePrefix: '' }, unexpectedErrorAttempts: 5, engine: 'bulk', validateManifests: true });
  });

  test('reads back what the construct writes: triggerEnvironment and readTriggerSettings are inverses', () => {
    const settings = loadConfig({ ...FULL, TRACKING_STATE_MACHINE_ARN: SM_ARN, ENGINE: 'auto', PER_IMAGE_STATE_MACHINE_ARN: SM_ARN, VALIDATE_MANIFESTS: 'false', IMAGE_BUCKETS: 'a-1,b-2' });

    expect(loadConfig(triggerEnvironment(settings))).toEqual(settings);
  });

  test('throws ConfigError, the name the classifier deems permanent', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(expect.objectContaining({ name: 'ConfigError', variable: 'OUTPUT_BUCKET' }));
  });

  test("adds the missing '/' to an output prefix, so manifest folders sit below it", () => {
    expect(loadConfig({ ...FULL, OUTPUT_PREFIX: 'results' }).settings.outputPrefix).toBe('results/');
  });

  test.each([
    ['OUTPUT_BUCKET', undefined, /OUTPUT_BUCKET is required/],
    ['OUTPUT_BUCKET', 'no', /OUTPUT_BUCKET must be a bucket name.*\(given "no"\)/],
    ['OUTPUT_PREFIX', 'my results/', /OUTPUT_PREFIX must not contain whitespace .*\(given "my results\/"\)/],
    ['OUTPUT_PREFIX', 'p'.repeat(701), /OUTPUT_PREFIX must be at most 700 bytes in UTF-8 \(is 702 bytes\)/],
    ['OUTPUT_PREFIX', `${'é'.repeat(360)}/`, /OUTPUT_PREFIX must be at most 700 bytes in UTF-8 \(is 721 bytes\)/],
    ['OUTPUT_PREFIX', '/results/', /OUTPUT_PREFIX must not start with '\/'/],
    ['OUTPUT_PREFIX', 'results//', /OUTPUT_PREFIX must not contain '\/\/'/],
    ['KMS_KEY_ID', 'alias/my key', /KMS_KEY_ID must be a key id.*\(given "alias\/my key"\)/],
    ['MIN_CONFIDENCE', 'high', /MIN_CONFIDENCE must be a number from 0 to 100 \(given "high"\)/],
    ['MIN_CONFIDENCE', '101', /MIN_CONFIDENCE must be a number from 0 to 100 \(given "101"\)/],
    ['PROJECT_VERSION', 'arn:short', /PROJECT_VERSION must be an adapter ARN.*\(given "arn:short"\)/],
    ['JOB_NAME_PREFIX', 'moderation job-', /JOB_NAME_PREFIX must be .*\(given "moderation job-"\)/],
    ['JOB_NAME_PREFIX', 'j'.repeat(41), /JOB_NAME_PREFIX must be at most 40 characters/],
    ['ENGINE', 'bulk-analysis', /ENGINE must be 'bulk', 'per-image', 'auto' \(given "bulk-analysis"\)/],
    ['TRACKING_STATE_MACHINE_ARN', 'arn:aws:states:x', /TRACKING_STATE_MACHINE_ARN must be a state machine ARN \(given "arn:aws:states:x"\)/],
    ['DEAD_LETTER_QUEUE_URL', 'not a url', /DEAD_LETTER_QUEUE_URL must be a queue URL \(given "not a url"\)/],
    ['UNEXPECTED_ERROR_ATTEMPTS', '0', /UNEXPECTED_ERROR_ATTEMPTS must be a whole number of at least 1 \(given "0"\)/],
    ['UNEXPECTED_ERROR_ATTEMPTS', '2.5', /UNEXPECTED_ERROR_ATTEMPTS must be a whole number/],
  ])('fails if %s is %p, naming the variable', (variable, value, message) => {
    const env: Record<string, string | undefined> = { ...FULL, [variable]: value };

    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('loadConfig: manifest validation', () => {
  test('reads VALIDATE_MANIFESTS and the comma-separated IMAGE_BUCKETS', () => {
    const config = loadConfig({ ...FULL, VALIDATE_MANIFESTS: 'false', IMAGE_BUCKETS: ' moderation-in-1 ,Legacy_Images.2,, ' });

    expect(config.validateManifests).toBe(false);
    expect(config.imageBuckets).toEqual(['moderation-in-1', 'Legacy_Images.2']);
    expect(loadConfig({ ...FULL, VALIDATE_MANIFESTS: 'true' }).validateManifests).toBe(true);
  });

  test('validates manifests and leaves buckets unchecked when both are unset or empty', () => {
    for (const env of [FULL, { ...FULL, VALIDATE_MANIFESTS: '', IMAGE_BUCKETS: '' }, { ...FULL, IMAGE_BUCKETS: ' , ' }]) {
      const config = loadConfig(env);
      expect(config.validateManifests).toBe(true);
      expect(config).not.toHaveProperty('imageBuckets');
    }
  });

  test.each([
    ['VALIDATE_MANIFESTS', 'yes', /VALIDATE_MANIFESTS must be 'true' or 'false' \(given "yes"\)/],
    ['VALIDATE_MANIFESTS', 'TRUE', /VALIDATE_MANIFESTS must be 'true' or 'false'/],
    ['IMAGE_BUCKETS', 'images-bucket,my images', /IMAGE_BUCKETS must be a bucket name.* \(given "my images" in "images-bucket,my images"\)/],
    ['IMAGE_BUCKETS', 's3://images-bucket', /IMAGE_BUCKETS must be a bucket name/],
  ])('fails if %s is %p, naming the variable', (variable, value, message) => {
    expect(() => loadConfig({ ...FULL, [variable]: value })).toThrow(message);
  });
});

describe('triggerConfig', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function freshModule(): typeof import('../../../lambda/trigger/config') {
    let loaded: typeof import('../../../lambda/trigger/config') | undefined;
    jest.isolateModules(() => {
      loaded = require('../../../lambda/trigger/config');
    });
    return loaded!;
  }

  test('reads the environment on first use, not at load, and keeps it for the container', () => {
    delete process.env.OUTPUT_BUCKET;
    const { triggerConfig } = freshModule();
    process.env.OUTPUT_BUCKET = 'first-bucket';

    const first = triggerConfig();
    process.env.OUTPUT_BUCKET = 'second-bucket';

    expect(first.settings.outputBucket).toBe('first-bucket');
    expect(triggerConfig()).toBe(first);
  });
});

describe('handler with an unusable configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('fails the invocation with an error naming the variable', async () => {
    delete process.env.OUTPUT_BUCKET;
    let handler: typeof import('../../../lambda/trigger').handler | undefined;
    jest.isolateModules(() => {
      handler = require('../../../lambda/trigger').handler;
    });

    await expect(handler!({ Records: [] })).rejects.toThrow(/Environment variable OUTPUT_BUCKET is required/);
  });
});
