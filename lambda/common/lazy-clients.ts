import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * S3 and SQS are needed only on retry and error paths, and Step Functions only once a job has started, so they are loaded with import() on first
 * use: esbuild splits them into chunks that a cold start never reads. One client per container.
 */
export interface LazyClient<Sdk, Client> {
  readonly sdk: Sdk;
  readonly client: Client;
}

export type LazyS3 = LazyClient<typeof import('@aws-sdk/client-s3'), S3Client>;
export type LazySqs = LazyClient<typeof import('@aws-sdk/client-sqs'), SQSClient>;
export type LazySfn = LazyClient<typeof import('@aws-sdk/client-sfn'), SFNClient>;

let s3: Promise<LazyS3> | undefined;
let sqs: Promise<LazySqs> | undefined;
let sfn: Promise<LazySfn> | undefined;

export function lazyS3(): Promise<LazyS3> {
  s3 ??= forgetOnFailure(
    import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      // Test-only: S3_FORCE_PATH_STYLE=true lets a local S3 server (s3rver) stand in for S3.
      client: new sdk.S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' }),
    })),
    () => (s3 = undefined),
  );
  return s3;
}

export function lazySqs(): Promise<LazySqs> {
  sqs ??= forgetOnFailure(
    import('@aws-sdk/client-sqs').then((sdk) => ({
      sdk,
      // Queues live in the function's Region, so the Region's endpoint (or AWS_ENDPOINT_URL_SQS)
      // is right; by default the SDK would send to the QueueUrl's host and ignore that variable.
      client: new sdk.SQSClient({ useQueueUrlAsEndpoint: false }),
    })),
    () => (sqs = undefined),
  );
  return sqs;
}

export function lazySfn(): Promise<LazySfn> {
  sfn ??= forgetOnFailure(
    import('@aws-sdk/client-sfn').then((sdk) => ({ sdk, client: new sdk.SFNClient({}) })),
    () => (sfn = undefined),
  );
  return sfn;
}

function forgetOnFailure<T>(loading: Promise<T>, forget: () => void): Promise<T> {
  loading.catch(forget);
  return loading;
}
