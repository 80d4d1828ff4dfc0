import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS, localS3Client } from '../local-s3';

/**
 * Rekognition reads manifests and images, and writes results, with the caller's permissions. The
 * double has one S3 client for all of it and models the caller's view on top: buckets outside
 * `readableBuckets` are denied, buckets listed in `bucketRegions` under another Region are refused.
 */
export interface S3ViewOptions {
  /** The S3 server (s3rver), path-style. */
  readonly endpoint: string;
  /** @default s3rver's S3RVER/S3RVER */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * Buckets the caller may read manifests and images from.
   *
   * @default every bucket on the server
   */
  readonly readableBuckets?: readonly string[];
  /** Bucket -> Region, for buckets outside the double's Region. @default none */
  readonly bucketRegions?: Readonly<Record<string, string>>;
  /**
   * Whether the server keeps object versions. s3rver does not: a Version in a request is then
   * accepted and the latest object is read (recorded on the job as `versionIgnored`).
   *
   * @default false
   */
  readonly versioning?: boolean;
}

export type ReadFailure = 'not-found' | 'access-denied' | 'other-region';

export type ObjectRead =
  | { readonly ok: true; readonly body: Buffer; readonly size: number }
  | { readonly ok: false; readonly reason: ReadFailure; readonly message: string };

export type ObjectHead =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly reason: ReadFailure; readonly message: string };

export class S3View {
  private readonly client: S3Client;

  constructor(private readonly options: S3ViewOptions, private readonly region: string) {
    this.client = localS3Client(options.endpoint, { region, credentials: options.credentials ?? LOCAL_S3_CREDENTIALS });
  }

  get versioning(): boolean {
    return this.options.versioning ?? false;
  }

  /** Why the caller cannot read the bucket at all, if it cannot. */
  refusal(bucket: string): { reason: ReadFailure; message: string } | undefined {
    const bucketRegion = this.options.bucketRegions?.[bucket];
    if (bucketRegion !== undefined && bucketRegion !== this.region) {
      return { reason: 'other-region', message: `s3://${bucket} is in ${bucketRegion}, not ${this.region}` };
    }
    if (this.options.readableBuckets && !this.options.readableBuckets.includes(bucket)) {
      return { reason: 'access-denied', message: `Access denied to s3://${bucket}` };
    }
    return undefined;
  }

  /** Reads at most `maxBytes` (+1, to tell that the object is larger). */
  async read(bucket: string, key: string, version: string | undefined, maxBytes: number): Promise<ObjectRead> {
    const head = await this.head(bucket, key, version);
    if (!head.ok) return head;
    if (head.size > maxBytes) return { ok: true, body: Buffer.alloc(0), size: head.size };
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...this.versionParam(version) }));
      const body = Buffer.from(await object.Body!.transformToByteArray());
      return { ok: true, body, size: body.length };
    } catch (error) {
      return failure(error, bucket, key);
    }
  }

  async head(bucket: string, key: string, version: string | undefined): Promise<ObjectHead> {
    const refused = this.refusal(bucket);
    if (refused) return { ok: false, ...refused };
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...this.versionParam(version) }));
      return { ok: true, size: head.ContentLength ?? 0 };
    } catch (error) {
      return failure(error, bucket, key);
    }
  }

  /** Writes with the caller's permissions; throws the S3 error. */
  async write(bucket: string, key: string, body: string, contentType: string, kmsKeyId?: string): Promise<void> {
    await this.client.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      // Set here: the SDK's content-length detection warns on every string body otherwise.
      ContentLength: Buffer.byteLength(body),
      ContentType: contentType,
      ...(kmsKeyId !== undefined && { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }),
    }));
  }

  destroy(): void {
    this.client.destroy();
  }

  private versionParam(version: string | undefined): { VersionId?: string } {
    return this.versioning && version !== undefined ? { VersionId: version } : {};
  }
}

function failure(error: unknown, bucket: string, key: string): ObjectRead & { ok: false } {
  const name = (error as { name?: string })?.name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return { ok: false, reason: 'not-found', message: `s3://${bucket}/${key} does not exist` };
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return { ok: false, reason: 'access-denied', message: `Access denied to s3://${bucket}/${key}` };
  }
  throw error;
}
