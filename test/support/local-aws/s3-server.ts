import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { localS3Client } from '../local-s3';

/** The part of s3rver (no type declarations) used here: it is a Koa app that emits 'event'. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (notification: S3rverNotification) => void): void;
}
const S3rver: new (options: Record<string, unknown>) => S3rverInstance = require('s3rver');

/** An S3 event notification as s3rver shapes it: one record, the key NOT URL-encoded, a ms-clock sequencer, no versionId. */
export interface S3rverNotification {
  Records: Array<{
    eventVersion: string;
    eventSource: string;
    awsRegion: string;
    eventTime: string;
    eventName: string;
    s3: { bucket: { name: string; arn: string }; object: { key: string; size?: number; eTag?: string; sequencer: string; versionId?: string } };
    [other: string]: unknown;
  }>;
}

export interface S3ServerWithEvents {
  readonly url: string;
  readonly client: S3Client;
  /** Every notification s3rver emitted, oldest first. */
  readonly notifications: S3rverNotification[];
  onNotification(listener: (notification: S3rverNotification) => void): void;
  stop(): Promise<void>;
}

/** s3rver on 127.0.0.1 (a free port) with the given buckets, and its event notifications. */
export async function startS3ServerWithEvents(buckets: string[]): Promise<S3ServerWithEvents> {
  const directory = mkdtempSync(join(tmpdir(), 'e2e-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const notifications: S3rverNotification[] = [];
  const listeners: Array<(notification: S3rverNotification) => void> = [];
  server.on('event', (notification) => {
    notifications.push(notification);
    for (const listener of listeners) listener(notification);
  });
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  const client = localS3Client(url);
  return {
    url,
    client,
    notifications,
    onNotification: (listener) => void listeners.push(listener),
    stop: async () => {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
