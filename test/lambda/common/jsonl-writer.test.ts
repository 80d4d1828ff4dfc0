import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JsonLinesWriter } from '../../../lambda/common/jsonl-writer';
import { flaggedListKey } from '../../../lambda/tracking/job-outputs';
import { captureLogs } from '../../support/capture-logs';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const target = { bucket: 'out', key: 'p/flagged-images.jsonl', kmsKeyId: 'key-arn' };
const image = (index: number) => ({ 'source-ref': `s3://uploads/${String(index).padStart(4, '0')}.jpg`, 'labels': ['Violence'] });

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
  s3Mock.on(UploadPartCommand).callsFake((input) => ({ ETag: `"etag-${input.PartNumber}"` }));
});

test('writes a small list with one PutObject', async () => {
  const writer = new JsonLinesWriter(s3, target);
  await writer.write(image(1));
  await writer.write(image(2));
  await writer.close();

  expect(s3Mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  const input = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
  expect(input).toMatchObject({ Bucket: 'out', Key: 'p/flagged-images.jsonl', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-arn' });
  expect(Buffer.from(input.Body as Buffer).toString()).toBe(`${JSON.stringify(image(1))}\n${JSON.stringify(image(2))}\n`);
});

test('switches to a multipart upload past one part, keeping every line in order', async () => {
  // GIVEN parts of 1 KB (S3's real minimum is 5 MiB)
  const writer = new JsonLinesWriter(s3, target, 1024);

  // WHEN
  for (let index = 0; index < 100; index++) {
    await writer.write(image(index));
  }
  await writer.close();

  // THEN
  expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  expect(s3Mock).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
    Bucket: 'out',
    Key: 'p/flagged-images.jsonl',
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: 'key-arn',
  });
  const parts = s3Mock.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
  expect(parts.map((part) => part.PartNumber)).toEqual(parts.map((_, index) => index + 1));
  expect(parts.slice(0, -1).every((part) => (part.Body as Buffer).length >= 1024)).toBe(true);
  const written = Buffer.concat(parts.map((part) => part.Body as Buffer)).toString();
  expect(written).toBe(Array.from({ length: 100 }, (_, index) => `${JSON.stringify(image(index))}\n`).join(''));
  expect(s3Mock).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
    UploadId: 'upload-1',
    MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.PartNumber, ETag: `"etag-${part.PartNumber}"` })) },
  });
});

test('abort drops a started multipart upload and never throws', async () => {
  const logs = captureLogs();
  try {
    s3Mock.on(AbortMultipartUploadCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const writer = new JsonLinesWriter(s3, target, 10);
    await writer.write(image(1));

    await expect(writer.abort()).resolves.toBeUndefined();

    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'out', Key: 'p/flagged-images.jsonl', UploadId: 'upload-1' });
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', uploadId: 'upload-1', error: 'AccessDenied' }));
  } finally {
    logs.restore();
  }
});

test('abort does nothing before a multipart upload started', async () => {
  const writer = new JsonLinesWriter(s3, target);
  await writer.write(image(1));
  await writer.abort();

  expect(s3Mock).not.toHaveReceivedAnyCommand();
});

test.each([
  ['results/m.jsonl/abc', 'results/m.jsonl/abc/flagged-images.jsonl'],
  ['results/m.jsonl/abc/', 'results/m.jsonl/abc/flagged-images.jsonl'],
  ['', 'flagged-images.jsonl'],
])('the list of prefix %p is %p', (prefix, key) => {
  expect(flaggedListKey(prefix)).toBe(key);
});
