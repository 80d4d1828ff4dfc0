import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Location } from '../shared/completion-event';
import type { FlaggedImage } from '../shared/job-results';
import { log } from '../shared/log';

/** S3 needs at least 5 MiB per part but the last; a typical flagged list stays well under one part. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const FLAGGED_LIST_CONTENT_TYPE = 'application/x-ndjson';

export interface FlaggedListTarget extends S3Location {
  /** Encrypts the list with SSE-KMS under this key; absent leaves it to the bucket's default encryption. */
  kmsKeyId?: string;
}

/**
 * Writes the flagged-images list as JSON Lines. Lines are buffered up to one part: a small list is
 * one PutObject, a larger one becomes a multipart upload, so memory stays at one part whatever the
 * list's size.
 */
export class FlaggedListWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: Array<{ PartNumber: number; ETag: string | undefined }> = [];

  constructor(
    private readonly s3: S3Client,
    private readonly target: FlaggedListTarget,
    private readonly partSize: number = DEFAULT_PART_SIZE,
  ) {}

  async add(image: FlaggedImage): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(image)}\n`, 'utf8');
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= this.partSize) {
      await this.uploadPart();
    }
  }

  /** Writes what is left; the object exists (possibly empty) once this resolves. */
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

  /** Drops a started multipart upload after a failure; never throws, so the original error surfaces. */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) {
      return;
    }
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId }));
    } catch (error) {
      log('WARN', 'Could not abort the flagged-list upload; a lifecycle rule must remove its parts', {
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
      ContentType: FLAGGED_LIST_CONTENT_TYPE,
      ...(this.target.kmsKeyId && { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.target.kmsKeyId }),
    };
  }
}
