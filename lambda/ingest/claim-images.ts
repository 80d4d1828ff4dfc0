import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CLAIM_SUFFIX, claimsFolder, SkipReason, type SkippedObject } from '../../lib/ingest/ingest-contract';
import { deriveToken } from '../common/job-request';
import { identity, type ObjectEvent } from './image-events';
import { inParallel } from './in-parallel';
import { putIfAbsent } from './manifest-batch';

/** Claims written at once. */
const CLAIM_CONCURRENCY = 32;

export interface ClaimedImages {
  readonly claimed: ObjectEvent[];
  /** Uploads an earlier batch already put in its manifest (a duplicate S3 event). */
  readonly duplicates: SkippedObject[];
}

/**
 * Claims every image for this batch before its manifest is written: a create-only object per
 * object version, holding the id of the queue message that brought it. A version claimed by one
 * of this batch's own messages is this batch's (a retry after a crash); one claimed by another
 * message is a duplicate S3 event whose upload is already in another manifest, and is skipped.
 * `carriers`: each image's identity -> the ids of this batch's messages that told of it.
 */
export async function claimImages(
  s3: S3Client,
  bucket: string,
  manifestFolder: string,
  images: readonly ObjectEvent[],
  carriers: ReadonlyMap<string, readonly string[]>,
): Promise<ClaimedImages> {
  const outcomes = await inParallel(images, CLAIM_CONCURRENCY, async (image) => {
    const messageIds = [...carriers.get(identity(image)) ?? []].sort();
    const owner = await claim(s3, bucket, claimKey(manifestFolder, image), messageIds[0] ?? '');
    return { image, ours: messageIds.includes(owner) };
  });
  return {
    claimed: outcomes.filter((outcome) => outcome.ours).map((outcome) => outcome.image),
    duplicates: outcomes.filter((outcome) => !outcome.ours).map(({ image }) => ({
      bucket: image.bucket,
      key: image.key,
      ...(image.version !== undefined && { version: image.version }),
      reason: SkipReason.DUPLICATE_EVENT,
    })),
  };
}

/** `<folder>claims/<digest of bucket, key and revision>.claim` */
export function claimKey(manifestFolder: string, image: ObjectEvent): string {
  return `${claimsFolder(manifestFolder)}${deriveToken(identity(image)).slice(0, 40)}${CLAIM_SUFFIX}`;
}

/**
 * Writes the claim unless it exists; returns the message id it holds. A claim being written by
 * another batch at this moment cannot be read yet: the error fails this batch, which is retried whole.
 */
async function claim(s3: S3Client, bucket: string, key: string, messageId: string): Promise<string> {
  if (await putIfAbsent(s3, bucket, key, messageId, 'text/plain')) return messageId;
  const existing = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await existing.Body!.transformToString()).trim();
}
