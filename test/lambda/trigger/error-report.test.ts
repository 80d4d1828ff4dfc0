import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { HandlerErrorName, PERMANENT_SERVICE_ERRORS } from '../../../lib/common/contract/error-names';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { errorAdvice, ErrorReport, errorReportKey, writeErrorReport } from '../../../lambda/trigger/error-report';

const s3 = mockClient(S3Client);

const REPORT: ErrorReport = {
  manifest: { bucket: 'manifest-bucket', key: 'in/batch 1.jsonl', version: null },
  token: 'a'.repeat(64),
  jobName: 'moderation-batch_1.jsonl-aaaaaaaa',
  errorCode: 'InvalidManifestException',
  message: 'The manifest is empty',
  time: '2025-01-01T00:00:00.000Z',
  advice: errorAdvice('InvalidManifestException'),
};

beforeEach(() => {
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('errorReportKey', () => {
  test("is 'error-report.json' inside the manifest's output folder", () => {
    expect(errorReportKey('results/in/batch_1.jsonl/0123456789abcdef')).toBe('results/in/batch_1.jsonl/0123456789abcdef/error-report.json');
  });
});

describe('writeErrorReport', () => {
  test('puts the report as JSON, encrypted with the configured key, and returns its URI', async () => {
    const uri = await writeErrorReport('moderation-results', 'results/x/0123456789abcdef', REPORT, 'arn:aws:kms:us-east-1:111122223333:key/k');

    expect(uri).toBe('s3://moderation-results/results/x/0123456789abcdef/error-report.json');
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input).toMatchObject({
      Bucket: 'moderation-results',
      Key: 'results/x/0123456789abcdef/error-report.json',
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k',
    });
    expect(JSON.parse(String(input.Body))).toEqual(REPORT);
  });

  test('leaves encryption to the bucket default when no key is configured', async () => {
    await writeErrorReport('moderation-results', 'p/0123456789abcdef', REPORT);

    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input).not.toHaveProperty('ServerSideEncryption');
    expect(input).not.toHaveProperty('SSEKMSKeyId');
  });

  test('fails when S3 refuses the report', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    await expect(writeErrorReport('moderation-results', 'p/x', REPORT)).rejects.toThrow('Access Denied');
  });
});

describe('errorAdvice', () => {
  const permanentCodes = [...PERMANENT_SERVICE_ERRORS.filter((name) => name !== 'IdempotentParameterMismatchException'), HandlerErrorName.INVALID_JOB_REQUEST];

  test('gives each permanent error code its own one-sentence fix', () => {
    const advice = permanentCodes.map(errorAdvice);

    expect(new Set(advice).size).toBe(permanentCodes.length);
    expect(advice).not.toContain(errorAdvice('SomethingNew'));
    advice.forEach((sentence) => expect(sentence).toMatch(/^[A-Z][^]*\.$/));
  });

  test('has general advice for any other code', () => {
    expect(errorAdvice('SomethingNew')).toMatch(/fix the cause/);
  });
});
