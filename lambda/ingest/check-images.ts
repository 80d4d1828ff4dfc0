import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hasImageSuffix, MAX_IMAGE_BYTES, SkipReason, type SkippedObject } from '../../lib/ingest/ingest-contract';
import type { ObjectEvent } from './image-events';
import { inParallel } from './in-parallel';

/** HeadObject calls in flight at once. */
const HEAD_CONCURRENCY = 32;

export type CheckedObject =
  | { readonly kind: 'image'; readonly event: ObjectEvent }
  | { readonly kind: 'skipped'; readonly skipped: SkippedObject };

/**
 * Sorts every upload into an image for the manifest or a skipped object with its reason. Only
 * keys with an image suffix are looked at (HeadObject, the current version): gone, superseded by a
 * newer version, empty, or over 15 MB. Any other S3 error is thrown: the batch is retried whole.
 */
export function checkObjects(s3: S3Client, events: readonly ObjectEvent[], suffixes: readonly string[]): Promise<CheckedObject[]> {
  return inParallel(events, HEAD_CONCURRENCY, (event) => checkObject(s3, event, suffixes));
}

async function checkObject(s3: S3Client, event: ObjectEvent, suffixes: readonly string[]): Promise<CheckedObject> {
  const skip = (reason: SkipReason, size?: number): CheckedObject => ({
    kind: 'skipped',
    skipped: { bucket: event.bucket, key: event.key, ...(event.version !== undefined && { version: event.version }), reason, ...(size !== undefined && { size }) },
  });
  if (!hasImageSuffix(event.key, suffixes)) return skip(SkipReason.NOT_AN_IMAGE);

  let head;
  try {
    head = await s3.send(new HeadObjectCommand({ Bucket: event.bucket, Key: event.key }));
  } catch (error) {
    if (isGone(error)) return skip(SkipReason.NOT_FOUND);
    throw error;
  }
  // Rekognition reads the key's current version: an older version's line would moderate the newer one twice.
  if (event.version !== undefined && head.VersionId !== undefined && head.VersionId !== event.version) return skip(SkipReason.SUPERSEDED);
  const size = head.ContentLength ?? 0;
  if (size === 0) return skip(SkipReason.EMPTY, size);
  if (size > MAX_IMAGE_BYTES) return skip(SkipReason.TOO_LARGE, size);
  // The version checked here is the one the manifest line stands for (image-versions file), also when the event named none.
  const version = event.version ?? head.VersionId;
  return { kind: 'image', event: { ...event, ...(version !== undefined && { version }) } };
}

/**
 * 404, or 403: without s3:ListBucket (the batcher has none, to read nothing outside its
 * prefix) S3 answers a missing key with 403, and the batcher may read every key under the prefix.
 */
function isGone(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (error as { name?: string })?.name;
  return status === 404 || status === 403 || name === 'NotFound' || name === 'NoSuchKey';
}
