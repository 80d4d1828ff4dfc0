import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** s3rver ships no type declarations; this is the part of it used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver: S3rverConstructor = require('s3rver');

export interface LocalS3 {
  /** http://127.0.0.1:<port>; needs path-style requests and the credentials below. */
  readonly url: string;
  stop(): Promise<void>;
}

/** s3rver accepts only these credentials. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Environment a real SDK v3 S3 client needs to talk to s3rver: its checksums must be turned off
 * unless required, as s3rver does not understand the newer ones.
 */
export const LOCAL_S3_CLIENT_ENV = {
  AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
} as const;

/**
 * A real SDK v3 S3 client for s3rver at `url`: path-style, its credentials, and checksums only when
 * required (s3rver does not understand the newer ones). `overrides` win.
 */
export function localS3Client(url: string, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: url,
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/** A real S3 server on 127.0.0.1 (any free port), storing its objects in a temporary folder. */
export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
