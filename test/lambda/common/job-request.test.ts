import { createHash } from 'node:crypto';

import { buildStartRequest, deriveJobName, deriveOutputPrefix, deriveToken, InvalidJobRequestError, JobSettings } from '../../../lambda/common/job-request';
import { type S3Location } from '../../../lib/common/contract/s3-location';

const TOKEN = deriveToken('manifest-bucket', 'manifests/batch-1.jsonl', 'v:1');
const ADAPTER = 'arn:aws:rekognition:us-east-1:111122223333:project/moderation/version/v1/1700000000000';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const SETTINGS: JobSettings = {
  outputBucket: 'moderation-results',
  outputPrefix: 'results/',
  kmsKeyId: KEY_ARN,
  minConfidence: 60,
  projectVersion: ADAPTER,
  jobNamePrefix: 'moderation-',
};

const MANIFEST: S3Location = { bucket: 'manifest-bucket', key: 'manifests/batch-1.jsonl', version: 'v1' };

/** Keys the pipeline must accept, each with what makes it awkward. */
const AWKWARD_KEYS: Array<[string, string]> = [
  ['spaces', 'incoming/my batch\tof\u00a0images.jsonl'],
  ['plus signs', 'incoming/a+b+c.jsonl'],
  ['percent signs', 'incoming/100% safe %2F.jsonl'],
  ['accents and CJK', 'entrée/画像リスト.jsonl'],
  ['emoji', 'incoming/😀 party 🎉.jsonl'],
  ['1,024 ASCII characters', `incoming/${'k'.repeat(1024 - 'incoming/'.length)}`],
  ['1,024 bytes of emoji', '😀'.repeat(256)],
  ['1,024 characters of spaces and accents', 'é '.repeat(512)],
];

describe('deriveToken', () => {
  test('is the SHA-256 hex of the parts joined by newlines: a valid 64-character ClientRequestToken', () => {
    const token = deriveToken('bucket', 'key', 'v:1');

    expect(token).toBe(createHash('sha256').update('bucket\nkey\nv:1').digest('hex'));
    expect(token).toMatch(/^[a-zA-Z0-9_-]{64}$/);
  });

  test('gives the same token for the same parts, and another when any part changes', () => {
    expect(deriveToken('b', 'k', 'v:1')).toBe(deriveToken('b', 'k', 'v:1'));
    expect(deriveToken('b', 'k', 'v:2')).not.toBe(deriveToken('b', 'k', 'v:1'));
    expect(deriveToken('b', 'k2', 'v:1')).not.toBe(deriveToken('b', 'k', 'v:1'));
    expect(deriveToken('ab', 'c')).not.toBe(deriveToken('a', 'bc'));
  });
});

describe('deriveJobName', () => {
  test('is the prefix, the file name with unsupported characters replaced, and 8 token characters', () => {
    expect(deriveJobName('moderation-', 'incoming/My Batch+1 100%.jsonl', TOKEN)).toBe(`moderation-My_Batch_1_100_.jsonl-${TOKEN.slice(0, 8)}`);
  });

  test('replaces an emoji (a surrogate pair) by a single underscore', () => {
    expect(deriveJobName('', 'x/a😀b.jsonl', TOKEN)).toBe(`a_b.jsonl-${TOKEN.slice(0, 8)}`);
  });

  test.each(AWKWARD_KEYS)('is a valid JobName for a key with %s', (_, key) => {
    const name = deriveJobName('moderation-', key, TOKEN);

    expect(name).toMatch(/^[a-zA-Z0-9_.-]{1,64}$/);
    expect(name.endsWith(`-${TOKEN.slice(0, 8)}`)).toBe(true);
    expect(name.startsWith('moderation-')).toBe(true);
  });

  test('stays valid when the key ends in a slash', () => {
    expect(deriveJobName('', 'folder/', TOKEN)).toMatch(/^[a-zA-Z0-9_.-]{1,64}$/);
  });
});

describe('deriveOutputPrefix', () => {
  test('is the output prefix, the key with whitespace replaced, and 16 token characters', () => {
    expect(deriveOutputPrefix('results/', 'in/my batch+1 100%.jsonl', TOKEN)).toBe(`results/in/my_batch+1_100%.jsonl/${TOKEN.slice(0, 16)}`);
  });

  test.each(AWKWARD_KEYS)('is a valid S3KeyPrefix of at most 800 UTF-8 bytes for a key with %s', (_, key) => {
    const prefix = deriveOutputPrefix('results/', key, TOKEN);

    expect(prefix).toMatch(/^\S*$/);
    expect(Buffer.byteLength(prefix, 'utf8')).toBeLessThanOrEqual(800);
    expect(prefix.startsWith('results/')).toBe(true);
    expect(prefix.endsWith(`/${TOKEN.slice(0, 16)}`)).toBe(true);
    // A lone surrogate would not survive the UTF-8 round trip.
    expect(Buffer.from(prefix, 'utf8').toString('utf8')).toBe(prefix);
    // The error report key below it stays within S3's 1,024-byte key limit.
    expect(Buffer.byteLength(`${prefix}/error-report.json`, 'utf8')).toBeLessThanOrEqual(1024);
  });

  test('keeps as much of a long key as fits: the prefix is exactly 800 bytes when the key is ASCII', () => {
    const prefix = deriveOutputPrefix('results/', 'k'.repeat(1024), TOKEN);

    expect(Buffer.byteLength(prefix, 'utf8')).toBe(800);
  });

  test('cuts a long emoji key between code points, never inside one', () => {
    const prefix = deriveOutputPrefix('', '😀'.repeat(256), TOKEN);
    const keyPart = prefix.slice(0, prefix.lastIndexOf('/'));

    expect(keyPart).toBe('😀'.repeat(Math.floor((800 - 17) / 4)));
  });

  test('gives two manifests different prefixes even when their keys are cut to the same text', () => {
    const longA = `${'k'.repeat(1000)}-a.jsonl`;
    const longB = `${'k'.repeat(1000)}-b.jsonl`;
    const prefixA = deriveOutputPrefix('results/', longA, deriveToken('b', longA, 's:1'));
    const prefixB = deriveOutputPrefix('results/', longB, deriveToken('b', longB, 's:1'));

    expect(prefixA).not.toBe(prefixB);
  });

  test('has no trailing slash', () => {
    expect(deriveOutputPrefix('', 'folder/', TOKEN).endsWith('/')).toBe(false);
  });
});

describe('buildStartRequest', () => {
  test('sets every field of StartMediaAnalysisJob from the manifest and the settings', () => {
    const request = buildStartRequest(MANIFEST, SETTINGS, TOKEN, 'moderation-batch-1.jsonl-12345678');

    expect(request).toEqual({
      ClientRequestToken: TOKEN,
      JobName: 'moderation-batch-1.jsonl-12345678',
      OperationsConfig: { DetectModerationLabels: { MinConfidence: 60, ProjectVersion: ADAPTER } },
      Input: { S3Object: { Bucket: 'manifest-bucket', Name: 'manifests/batch-1.jsonl', Version: 'v1' } },
      OutputConfig: { S3Bucket: 'moderation-results', S3KeyPrefix: deriveOutputPrefix('results/', MANIFEST.key, TOKEN) },
      KmsKeyId: KEY_ARN,
    });
  });

  test('leaves out the optional fields that are not configured', () => {
    const request = buildStartRequest(
      { bucket: 'manifest-bucket', key: 'm.jsonl' },
      { outputBucket: 'moderation-results', outputPrefix: '', jobNamePrefix: '' },
      TOKEN,
      'job',
    );

    expect(request.OperationsConfig).toEqual({ DetectModerationLabels: {} });
    expect(request.Input?.S3Object).toEqual({ Bucket: 'manifest-bucket', Name: 'm.jsonl' });
    expect(request).not.toHaveProperty('KmsKeyId');
  });

  test.each(AWKWARD_KEYS)('accepts a key with %s as it is', (_, key) => {
    const request = buildStartRequest({ ...MANIFEST, key }, SETTINGS, TOKEN, deriveJobName('m-', key, TOKEN));

    expect(request.Input?.S3Object?.Name).toBe(key);
  });

  test.each([0, 100, 55.5])('accepts MinConfidence %p', (minConfidence) => {
    const request = buildStartRequest(MANIFEST, { ...SETTINGS, minConfidence }, TOKEN, 'job');

    expect(request.OperationsConfig?.DetectModerationLabels?.MinConfidence).toBe(minConfidence);
  });

  const invalid: Array<[string, S3Location, JobSettings, string, string, string]> = [
    ['ClientRequestToken', MANIFEST, SETTINGS, 'a.b', 'job', '"a.b"'],
    ['ClientRequestToken', MANIFEST, SETTINGS, 'x'.repeat(65), 'job', '65 characters'],
    ['ClientRequestToken', MANIFEST, SETTINGS, '', 'job', '""'],
    ['JobName', MANIFEST, SETTINGS, TOKEN, 'my job', '"my job"'],
    ['JobName', MANIFEST, SETTINGS, TOKEN, 'j'.repeat(65), '65 characters'],
    ['DetectModerationLabels.MinConfidence', MANIFEST, { ...SETTINGS, minConfidence: 100.5 }, TOKEN, 'job', '100.5'],
    ['DetectModerationLabels.MinConfidence', MANIFEST, { ...SETTINGS, minConfidence: -1 }, TOKEN, 'job', '-1'],
    ['DetectModerationLabels.MinConfidence', MANIFEST, { ...SETTINGS, minConfidence: Number.NaN }, TOKEN, 'job', 'NaN'],
    ['DetectModerationLabels.ProjectVersion', MANIFEST, { ...SETTINGS, projectVersion: 'arn:short' }, TOKEN, 'job', '"arn:short"'],
    ['DetectModerationLabels.ProjectVersion', MANIFEST, { ...SETTINGS, projectVersion: `${ADAPTER}${'x'.repeat(2048)}` }, TOKEN, 'job', 'characters'],
    ['Input.S3Object.Name', { ...MANIFEST, key: 'k'.repeat(1025) }, SETTINGS, TOKEN, 'job', '1025 characters'],
    ['Input.S3Object.Name', { ...MANIFEST, key: '' }, SETTINGS, TOKEN, 'job', '""'],
    ['Input.S3Object.Bucket', { ...MANIFEST, bucket: 'ab' }, SETTINGS, TOKEN, 'job', '"ab"'],
    ['Input.S3Object.Version', { ...MANIFEST, version: '' }, SETTINGS, TOKEN, 'job', '""'],
    ['OutputConfig.S3Bucket', MANIFEST, { ...SETTINGS, outputBucket: 'bad bucket' }, TOKEN, 'job', '"bad bucket"'],
    ['OutputPrefix', MANIFEST, { ...SETTINGS, outputPrefix: 'my results/' }, TOKEN, 'job', 'my results/'],
    // 361 characters but 721 bytes: the limit is in bytes, as Rekognition counts S3KeyPrefix.
    ['OutputPrefix', MANIFEST, { ...SETTINGS, outputPrefix: `${'é'.repeat(360)}/` }, TOKEN, 'job', 'is 721 bytes'],
    ['OutputPrefix', MANIFEST, { ...SETTINGS, outputPrefix: '/results/' }, TOKEN, 'job', "must not start with '/'"],
    ['KmsKeyId', MANIFEST, { ...SETTINGS, kmsKeyId: 'alias/my key' }, TOKEN, 'job', '"alias/my key"'],
  ];

  test.each(invalid)('fails on an invalid %s, naming the field and the value given', (field, manifest, settings, token, jobName, shown) => {
    let thrown: unknown;
    try {
      buildStartRequest(manifest, settings, token, jobName);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(InvalidJobRequestError);
    expect(thrown).toMatchObject({ name: 'InvalidJobRequest', field });
    expect((thrown as Error).message).toContain(field);
    expect((thrown as Error).message).toContain(shown);
  });
});
