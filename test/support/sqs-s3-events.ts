import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** Builders for the SQS messages an S3 event notification produces. */

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111122223333:manifest-events';
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/manifest-events';

/** Encodes a key the way S3 event notifications do: URL-encoded, '+' for spaces, '/' kept. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

export interface S3EventOptions {
  readonly bucket?: string;
  /** The real key; encoded into the event as S3 does. */
  readonly key?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly eTag?: string;
  readonly eventName?: string;
}

export function s3EventRecord(options: S3EventOptions = {}): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeS3EventKey(options.key ?? 'manifests/batch-1.jsonl'), size: 120 };
  if (options.versionId !== undefined) object.versionId = options.versionId;
  if (options.eTag !== undefined) object.eTag = options.eTag;
  if (options.sequencer !== undefined) object.sequencer = options.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2025-01-01T00:00:00.000Z',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'manifests',
      bucket: { name: options.bucket ?? 'manifest-bucket', arn: `arn:aws:s3:::${options.bucket ?? 'manifest-bucket'}` },
      object,
    },
  };
}

/** The body of a notification for one upload (a sequencer by default, as S3 always sends one). */
export function s3EventBody(options: S3EventOptions = {}): string {
  return JSON.stringify({ Records: [s3EventRecord({ sequencer: '0065A1B2C3D4E5F601', ...options })] });
}

export const TEST_EVENT_BODY = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2025-01-01T00:00:00.000Z',
  Bucket: 'manifest-bucket',
  RequestId: 'R1',
  HostId: 'H1',
});

export interface RecordOptions {
  readonly messageId?: string;
  readonly receiveCount?: number;
  readonly receiptHandle?: string;
}

export function sqsRecord(body: string, options: RecordOptions = {}): SQSRecord {
  const messageId = options.messageId ?? 'message-1';
  return {
    messageId,
    receiptHandle: options.receiptHandle ?? `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1735689600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1735689600000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
