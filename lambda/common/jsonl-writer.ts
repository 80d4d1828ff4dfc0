import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

import { log } from './log';
import { type S3Location } from '../../lib/common/contract/s3-location';


/** S3 needs at least 5 MiB per part but the last. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export interface JsonLinesTarget extends S3Location {
  /** SSE-KMS under this key; absent leaves it to the bucket's default encryption. */
  kmsKeyId?: string;
  contentType?: string;
}

/**
 * Writes JSON Lines to S3 with memory bounded by one part: a small file is one PutObject, a
 * larger one a multipart upload. `close()` makes the object exist (possibly empty); after a
 * failure, `abort()` drops a started upload.
 */
export class JsonLinesWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: Array<{ PartNumber: number; ETag: string | undefined }> = [];
  private lineCount = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly target: JsonLinesTarget,
    private readonly partBytes: number = DEFAULT_PART_BYTES,
  ) {}

  /** Lines written so far. */
  get lines(): number {
    return this.lineCount;
  }

  /** Adds one line: a value to serialise, or a line already serialised (no newline). */
  async write(value: unknown): Promise<void> {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const line = Buffer.from(`${text}\n`, 'utf8');
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.lineCount += 1;
    if (this.pendingBytes >= this.partBytes) {
      await this.uploadPart();
    }
  }

  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      await this.s3.send(new PutObjectCommand({ ...this.objectParams(), Body: this.takePending() }));
      return;
    }
    if (this.pendingBytes > 0) {
      await this.uploadPart();
    }
    await this.s3.send(new CompleteMultipartUploadCommand({
      Bucket: this.target.bucket,
      Key: this.target.key,
      UploadId: this.uploadId,
      MultipartUpload: { Parts: this.parts },
    }));
  }

  /** Never throws, so the original error surfaces. */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) return;
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId }));
    } catch (error) {
      log('WARN', 'Could not abort a multipart upload; a lifecycle rule must remove its parts', {
        bucket: this.target.bucket,
        key: this.target.key,
        uploadId: this.uploadId,
        error: (error as Error).name,
      });
    }
  }

  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.s3.send(new CreateMultipartUploadCommand(this.objectParams()));
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const uploaded = await this.s3.send(new UploadPartCommand({
      Bucket: this.target.bucket,
      Key: this.target.key,
      UploadId: this.uploadId,
      PartNumber,
      Body: this.takePending(),
    }));
    this.parts.push({ PartNumber, ETag: uploaded.ETag });
  }

  private takePending(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private objectParams() {
    return {
      Bucket: this.target.bucket,
      Key: this.target.key,
      ContentType: this.target.contentType ?? 'application/x-ndjson',
      ...(this.target.kmsKeyId && { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.target.kmsKeyId }),
    };
  }
}

/** Writes every value through a writer, closing it, or aborting it on failure. */
export async function writeJsonLines(writer: JsonLinesWriter, values: AsyncIterable<unknown> | Iterable<unknown>): Promise<number> {
  try {
    for await (const value of values) {
      await writer.write(value);
    }
    await writer.close();
    return writer.lines;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
