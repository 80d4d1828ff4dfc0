import {
  DetectModerationLabelsCommand,
  GetMediaAnalysisJobCommand,
  ListMediaAnalysisJobsCommand,
  RekognitionClient,
  StartMediaAnalysisJobCommand,
  StartMediaAnalysisJobCommandInput,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalS3, localS3Client, startLocalS3 } from '../support/local-s3';
import { RekognitionDouble, RekognitionDoubleOptions, startRekognitionDouble } from '../support/rekognition-double';

// The double's own rules, through the real SDK client: what the e2e tests rely on it to enforce.

const IMAGES = 'images-bucket';
const OUTPUT = 'output-bucket';
const PRIVATE = 'private-bucket';

let s3: LocalS3;
let s3Client: S3Client;
let double: RekognitionDouble;
let rekognition: RekognitionClient;

beforeAll(async () => {
  s3 = await startLocalS3([IMAGES, OUTPUT, PRIVATE]);
  s3Client = localS3Client(s3.url);
  await Promise.all(['a-explicit.jpg', 'b-violence.png', 'c-plain.jpeg', 'd-swimwear.jpg', 'e.gif'].map((key) => put(IMAGES, key, 'image')));
  await put(PRIVATE, 'secret-explicit.jpg', 'image');
});

afterAll(async () => {
  await double?.stop();
  s3Client?.destroy();
  await s3?.stop();
});

async function useDouble(options: Partial<RekognitionDoubleOptions> = {}): Promise<void> {
  await double?.stop();
  double = await startRekognitionDouble({ s3: { endpoint: s3.url, readableBuckets: [IMAGES, OUTPUT] }, tps: false, ...options });
  rekognition?.destroy();
  rekognition = new RekognitionClient({
    region: 'us-east-1', endpoint: double.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
}

async function put(bucket: string, key: string, body: string): Promise<void> {
  await s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body) }));
}

async function read(location: { Bucket?: string; Name?: string } | undefined): Promise<string> {
  const object = await s3Client.send(new GetObjectCommand({ Bucket: location!.Bucket!, Key: location!.Name! }));
  return object.Body!.transformToString();
}

function startRequest(overrides: Partial<StartMediaAnalysisJobCommandInput> = {}, manifest = 'manifests/m.jsonl'): StartMediaAnalysisJobCommandInput {
  return {
    ClientRequestToken: 'token-1',
    JobName: 'job-1',
    OperationsConfig: { DetectModerationLabels: { MinConfidence: 60 } },
    Input: { S3Object: { Bucket: IMAGES, Name: manifest } },
    OutputConfig: { S3Bucket: OUTPUT, S3KeyPrefix: 'results/m' },
    ...overrides,
  };
}

function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => 'no error', (error) => (error as Error).name);
}

const refs = (...keys: string[]) => keys.map((key) => JSON.stringify({ 'source-ref': `s3://${IMAGES}/${key}` })).join('\n');

describe('StartMediaAnalysisJob request constraints', () => {
  beforeAll(async () => {
    await useDouble();
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
  });

  test.each<[string, Partial<StartMediaAnalysisJobCommandInput>]>([
    ['a token with a space', { ClientRequestToken: 'bad token' }],
    ['a token of 65 characters', { ClientRequestToken: 'a'.repeat(65) }],
    ['a job name with a slash', { JobName: 'a/b' }],
    ['MinConfidence above 100', { OperationsConfig: { DetectModerationLabels: { MinConfidence: 100.5 } } }],
    ['an adapter ARN of 19 characters', { OperationsConfig: { DetectModerationLabels: { ProjectVersion: 'x'.repeat(19) } } }],
    ['an output bucket of 2 characters', { OutputConfig: { S3Bucket: 'ab' } }],
    ['a key prefix with whitespace', { OutputConfig: { S3Bucket: OUTPUT, S3KeyPrefix: 'a b' } }],
    ['a key prefix of 801 characters', { OutputConfig: { S3Bucket: OUTPUT, S3KeyPrefix: 'p'.repeat(801) } }],
    ['a KMS key starting with a slash', { KmsKeyId: '/alias/x' }],
    ['a manifest name of 1,025 characters', { Input: { S3Object: { Bucket: IMAGES, Name: 'k'.repeat(1025) } } }],
  ])('refuses %s with InvalidParameterException and starts no job', async (_, overrides) => {
    const before = double.jobs.all().length;
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest(overrides))))).toBe('InvalidParameterException');
    expect(double.jobs.all()).toHaveLength(before);
  });

  test('accepts the limits themselves: 64-character token and name, MinConfidence 0, an 800-character prefix', async () => {
    const response = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({
      ClientRequestToken: 't'.repeat(64),
      JobName: 'n'.repeat(64),
      OperationsConfig: { DetectModerationLabels: { MinConfidence: 0 } },
      OutputConfig: { S3Bucket: OUTPUT, S3KeyPrefix: 'p'.repeat(800) },
    })));
    expect(response.JobId).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('idempotency', () => {
  beforeAll(async () => {
    await useDouble();
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
  });

  test('the same token with the same parameters returns the same JobId and starts one job', async () => {
    const first = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'same' })));
    const second = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'same' })));
    expect(second.JobId).toBe(first.JobId);
    expect(double.jobs.all().filter((job) => job.ClientRequestToken === 'same')).toHaveLength(1);
  });

  test('the same token with other parameters is IdempotentParameterMismatchException', async () => {
    await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'other' })));
    const changed = startRequest({ ClientRequestToken: 'other', OperationsConfig: { DetectModerationLabels: { MinConfidence: 70 } } });
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(changed)))).toBe('IdempotentParameterMismatchException');
  });

  test('without a token every call starts a new job', async () => {
    const { ClientRequestToken: _, ...request } = startRequest();
    const first = await rekognition.send(new StartMediaAnalysisJobCommand(request));
    const second = await rekognition.send(new StartMediaAnalysisJobCommand(request));
    expect(second.JobId).not.toBe(first.JobId);
  });
});

describe('job lifecycle and outputs', () => {
  test('moves CREATED -> IN_PROGRESS -> SUCCEEDED on the clock, writing results and summary only at the end', async () => {
    await useDouble({ createdSeconds: 5, jobDurationSeconds: 100 });
    await put(IMAGES, 'manifests/mixed.jsonl', [
      refs('a-explicit.jpg', 'b-violence.png', 'c-plain.jpeg', 'a-explicit.jpg'),
      'not json',
      '{"other":1}',
      refs('missing.jpg', 'e.gif'),
      JSON.stringify({ 'source-ref': `s3://${PRIVATE}/secret-explicit.jpg` }),
      '',
    ].join('\n'));
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({}, 'manifests/mixed.jsonl')));
    const status = async () => (await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }))).Status;

    expect(await status()).toBe('CREATED');
    double.clock.advanceSeconds(5);
    expect(await status()).toBe('IN_PROGRESS');
    double.clock.advanceSeconds(94);
    const running = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
    expect(running.Status).toBe('IN_PROGRESS');
    expect(running.Results).toBeUndefined();
    double.clock.advanceSeconds(1);
    const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));

    expect(job.Status).toBe('SUCCEEDED');
    expect(job.CompletionTimestamp!.getTime() - job.CreationTimestamp!.getTime()).toBe(100_000);
    expect(job.Results!.ModelVersions).toEqual({ Moderation: '7.0' });
    expect(job.Results!.S3Object!.Name!.startsWith('results/m/')).toBe(true);
    const lines = (await read(job.Results!.S3Object)).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line['source-ref'])).toEqual([
      ...['a-explicit.jpg', 'b-violence.png', 'c-plain.jpeg', 'a-explicit.jpg', 'missing.jpg', 'e.gif'].map((key) => `s3://${IMAGES}/${key}`),
      `s3://${PRIVATE}/secret-explicit.jpg`,
    ]);
    expect(lines[0]['detect-moderation-labels']).toEqual({
      ModerationLabels: [
        { Name: 'Explicit', ParentName: '', TaxonomyLevel: 1, Confidence: 97.1 },
        { Name: 'Explicit Nudity', ParentName: 'Explicit', TaxonomyLevel: 2, Confidence: 96.2 },
      ],
      ModerationModelVersion: '7.0',
      ContentTypes: [],
    });
    expect(lines[1]['detect-moderation-labels'].ModerationLabels.map((label: any) => label.Name)).toEqual(['Violence', 'Graphic Violence', 'Blood & Gore']);
    expect(lines[2]['detect-moderation-labels'].ModerationLabels).toEqual([]);
    expect(lines.slice(4).map((line) => line['detect-moderation-labels'])).toEqual([undefined, undefined, undefined]);

    const summary = JSON.parse(await read(job.ManifestSummary!.S3Object));
    expect(summary).toEqual({
      version: '1.0',
      statistics: { 'total-json-lines': 9, 'valid-json-lines': 4, 'invalid-json-lines': 5 },
      errors: [
        { 'line-numer': 5, code: 'INVALID_JSON_LINE', message: expect.any(String) },
        { 'line-numer': 6, code: 'MISSING_SOURCE_REF', message: expect.any(String) },
        { 'line-numer': 7, 'source-ref': `s3://${IMAGES}/missing.jpg`, code: 'IMAGE_NOT_FOUND', message: expect.any(String) },
        { 'line-numer': 8, 'source-ref': `s3://${IMAGES}/e.gif`, code: 'UNSUPPORTED_IMAGE_FORMAT', message: expect.any(String) },
        { 'line-numer': 9, 'source-ref': `s3://${PRIVATE}/secret-explicit.jpg`, code: 'ACCESS_DENIED', message: expect.any(String) },
      ],
    });
  });

  test('spells the summary key line-number when told to, and refuses buckets of another Region per line', async () => {
    await useDouble({ summaryLineNumberKey: 'line-number', jobDurationSeconds: 1, s3: { endpoint: s3.url, bucketRegions: { [IMAGES]: 'eu-west-1' } } });
    await put(OUTPUT, 'manifests/eu.jsonl', refs('a-explicit.jpg'));
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ Input: { S3Object: { Bucket: OUTPUT, Name: 'manifests/eu.jsonl' } } })));
    double.clock.advanceSeconds(1);
    const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
    expect(JSON.parse(await read(job.ManifestSummary!.S3Object)).errors).toEqual([
      { 'line-number': 1, 'source-ref': `s3://${IMAGES}/a-explicit.jpg`, code: 'INVALID_REGION', message: expect.stringContaining('eu-west-1') },
    ]);
  });

  test('returns only labels at or above MinConfidence (50 when absent)', async () => {
    await useDouble({ jobDurationSeconds: 1 });
    await put(IMAGES, 'manifests/swim.jsonl', refs('d-swimwear.jpg'));
    const labelsWith = async (token: string, moderation: Record<string, number>) => {
      const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({
        ClientRequestToken: token, OperationsConfig: { DetectModerationLabels: moderation },
      }, 'manifests/swim.jsonl')));
      double.clock.advanceSeconds(1);
      const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
      return JSON.parse(await read(job.Results!.S3Object))['detect-moderation-labels'].ModerationLabels.map((label: any) => label.Name);
    };
    expect(await labelsWith('at-60', { MinConfidence: 60 })).toEqual([]);
    expect(await labelsWith('default', {})).toEqual(['Swimwear or Underwear']);
  });

  test('records that a Version was accepted but the latest object read (s3rver keeps no versions)', async () => {
    await useDouble();
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ Input: { S3Object: { Bucket: IMAGES, Name: 'manifests/m.jsonl', Version: 'v1' } } })));
    expect(double.jobs.get(JobId!)!.versionIgnored).toBe(true);
  });

  test('ends a job told to fail as FAILED with FailureDetails and no results', async () => {
    await useDouble({ jobDurationSeconds: 10 });
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
    double.jobs.failNext({ Code: 'INTERNAL_ERROR', Message: 'boom' });
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest()));
    double.clock.advanceSeconds(10);
    const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
    expect(job).toMatchObject({ Status: 'FAILED', FailureDetails: { Code: 'INTERNAL_ERROR', Message: 'boom' } });
    expect(job.Results).toBeUndefined();
  });

  test('GetMediaAnalysisJob of an unknown job is ResourceNotFoundException', async () => {
    await useDouble();
    expect(await errorName(rekognition.send(new GetMediaAnalysisJobCommand({ JobId: 'nope' })))).toBe('ResourceNotFoundException');
  });
});

describe('manifest problems', () => {
  beforeAll(async () => {
    await put(IMAGES, 'manifests/empty.jsonl', '\n\n');
    await put(IMAGES, 'manifests/three.jsonl', refs('a-explicit.jpg', 'b-violence.png', 'c-plain.jpeg'));
  });

  test.each([
    ['an empty manifest', 'manifests/empty.jsonl', {}, 'InvalidManifestException'],
    ['a manifest over the line limit', 'manifests/three.jsonl', { maxManifestLines: 2 }, 'InvalidManifestException'],
    ['a manifest over the byte limit', 'manifests/three.jsonl', { maxManifestBytes: 10 }, 'InvalidManifestException'],
    ['a missing manifest', 'manifests/missing.jsonl', {}, 'InvalidS3ObjectException'],
  ])('in "start" mode, %s is refused by StartMediaAnalysisJob', async (_, manifest, options, exception) => {
    await useDouble(options);
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest({}, manifest))))).toBe(exception);
    expect(double.jobs.all()).toHaveLength(0);
  });

  test('an unreadable manifest bucket is AccessDeniedException', async () => {
    await useDouble();
    await put(PRIVATE, 'manifests/m.jsonl', refs('a-explicit.jpg'));
    const request = startRequest({ Input: { S3Object: { Bucket: PRIVATE, Name: 'manifests/m.jsonl' } } });
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(request)))).toBe('AccessDeniedException');
  });

  test('in "job" mode, an empty manifest starts a job that FAILS with INVALID_MANIFEST', async () => {
    await useDouble({ manifestErrors: 'job', jobDurationSeconds: 30 });
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({}, 'manifests/empty.jsonl')));
    double.clock.advanceSeconds(30);
    const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
    expect(job).toMatchObject({ Status: 'FAILED', FailureDetails: { Code: 'INVALID_MANIFEST' } });
  });
});

describe('quotas and scripted faults', () => {
  beforeAll(async () => {
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
  });

  test('refuses a job over the concurrent-job limit with LimitExceededException until one finishes', async () => {
    await useDouble({ concurrentJobLimit: 2, jobDurationSeconds: 60 });
    await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'j1' })));
    double.clock.advanceSeconds(30);
    await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'j2' })));
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'j3' }))))).toBe('LimitExceededException');
    // A replay of a started job's token is answered even at the limit.
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'j1' }))))).toBe('no error');
    double.clock.advanceSeconds(30);
    expect(await errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: 'j3' }))))).toBe('no error');
  });

  test('throttles past the TPS quota on the same clock, and refills as the clock moves', async () => {
    await useDouble({ tps: { StartMediaAnalysisJob: 5 }, concurrentJobLimit: 100 });
    const start = (index: number) => errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: `tps-${index}` }))));
    const first = [];
    for (let index = 0; index < 6; index++) first.push(await start(index));
    expect(first).toEqual([...Array(5).fill('no error'), 'ThrottlingException']);
    double.clock.advance(200);
    expect(await start(6)).toBe('no error');
    expect(await start(7)).toBe('ThrottlingException');
    expect(double.calls.failed('StartMediaAnalysisJob', 'ThrottlingException')).toHaveLength(2);
  });

  test('answers scripted faults in order, then predicates, and refuses exceptions the operation never raises', async () => {
    await useDouble();
    double.faults.enqueue('StartMediaAnalysisJob', 'InternalServerError', { type: 'ResourceNotReadyException', message: 'later' });
    const remove = double.faults.when((call) => (call.operation === 'StartMediaAnalysisJob' && call.body.JobName === 'doomed' ? 'AccessDeniedException' : undefined));
    const start = (overrides: Partial<StartMediaAnalysisJobCommandInput>) => errorName(rekognition.send(new StartMediaAnalysisJobCommand(startRequest(overrides))));

    expect(await start({})).toBe('InternalServerError');
    expect(await start({})).toBe('ResourceNotReadyException');
    expect(await start({ JobName: 'doomed' })).toBe('AccessDeniedException');
    remove();
    expect(await start({ JobName: 'doomed' })).toBe('no error');
    expect(() => double.faults.enqueue('GetMediaAnalysisJob', 'LimitExceededException')).toThrow(/never answers LimitExceededException/);
  });
});

describe('ListMediaAnalysisJobs', () => {
  test('lists newest first in pages, and refuses a made-up token', async () => {
    await useDouble({ concurrentJobLimit: 10 });
    await put(IMAGES, 'manifests/m.jsonl', refs('a-explicit.jpg'));
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push((await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ ClientRequestToken: `l${index}` })))).JobId!);
      double.clock.advanceSeconds(1);
    }
    const first = await rekognition.send(new ListMediaAnalysisJobsCommand({ MaxResults: 2 }));
    const second = await rekognition.send(new ListMediaAnalysisJobsCommand({ MaxResults: 2, NextToken: first.NextToken }));
    expect([...first.MediaAnalysisJobs!, ...second.MediaAnalysisJobs!].map((job) => job.JobId)).toEqual(ids.reverse());
    expect(second.NextToken).toBeUndefined();
    expect(await errorName(rekognition.send(new ListMediaAnalysisJobsCommand({ NextToken: 'bogus' })))).toBe('InvalidPaginationTokenException');
    expect(await errorName(rekognition.send(new ListMediaAnalysisJobsCommand({ MaxResults: 101 })))).toBe('InvalidParameterException');
  });
});

describe('DetectModerationLabels', () => {
  test('agrees with the bulk output image for image', async () => {
    await useDouble({ jobDurationSeconds: 1 });
    const keys = ['a-explicit.jpg', 'b-violence.png', 'c-plain.jpeg', 'd-swimwear.jpg'];
    await put(IMAGES, 'manifests/agree.jsonl', refs(...keys));
    const { JobId } = await rekognition.send(new StartMediaAnalysisJobCommand(startRequest({ OperationsConfig: { DetectModerationLabels: { MinConfidence: 55 } } }, 'manifests/agree.jsonl')));
    double.clock.advanceSeconds(1);
    const job = await rekognition.send(new GetMediaAnalysisJobCommand({ JobId }));
    const bulk = (await read(job.Results!.S3Object)).trim().split('\n').map((line) => JSON.parse(line)['detect-moderation-labels']);

    const single = [];
    for (const key of keys) {
      const { $metadata: _, ...answer } = await rekognition.send(new DetectModerationLabelsCommand({ Image: { S3Object: { Bucket: IMAGES, Name: key } }, MinConfidence: 55 }));
      single.push(answer);
    }
    expect(single).toEqual(bulk);
    expect(bulk.map((result) => result.ModerationLabels.length)).toEqual([2, 3, 0, 1]);
  });

  test.each([
    ['a missing image', 'InvalidS3ObjectException', { S3Object: { Bucket: IMAGES, Name: 'missing.jpg' } }],
    ['an image in a bucket the caller cannot read', 'InvalidS3ObjectException', { S3Object: { Bucket: PRIVATE, Name: 'secret-explicit.jpg' } }],
    ['a GIF', 'InvalidImageFormatException', { S3Object: { Bucket: IMAGES, Name: 'e.gif' } }],
    ['bytes that are not JPEG or PNG', 'InvalidImageFormatException', { Bytes: Buffer.from('GIF89a') }],
    ['both bytes and an S3 object', 'InvalidParameterException', { Bytes: Buffer.from([0xff, 0xd8, 0xff]), S3Object: { Bucket: IMAGES, Name: 'a-explicit.jpg' } }],
  ])('refuses %s with %s', async (_, exception, image) => {
    expect(await errorName(rekognition.send(new DetectModerationLabelsCommand({ Image: image })))).toBe(exception);
  });
});
