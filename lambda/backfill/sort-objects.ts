import { ObjectSource, type BackfillSettings, type ListedObject } from '../../lib/backfill/backfill-contract';
import { hasImageSuffix, MAX_IMAGE_BYTES, SkipReason, type SkippedObject } from '../../lib/ingest/ingest-contract';

/** An object of the batch that goes into a manifest, with what identifies its revision. */
export interface ListedImage {
  readonly bucket: string;
  readonly key: string;
  /** `bucket/key#revision`: the ETag (or version) names the object's content, so a changed object is a new batch. */
  readonly identity: string;
  /** The listed version, from an inventory of a versioned bucket (a plain listing has none). */
  readonly version?: string;
}

export interface SortedBatch {
  readonly images: ListedImage[];
  readonly skipped: SkippedObject[];
  /** Identities of the images and skipped objects: the batch's name is their digest. */
  readonly identities: string[];
  /** Inventory rows that are not current objects under the prefix of the bucket. */
  readonly ignored: number;
}

/**
 * Sorts a batch of listed objects into images and skipped objects (not an image, 0 bytes, over
 * 15 MB), from what the listing says: no HeadObject, so a backfill reads no object. Inventory
 * rows of other buckets or prefixes, delete markers and older versions are ignored.
 */
export function sortObjects(items: readonly ListedObject[], source: ObjectSource, settings: BackfillSettings): SortedBatch {
  const sorted: SortedBatch = { images: [], skipped: [], identities: [], ignored: 0 };
  let ignored = 0;
  for (const item of items) {
    const object = source === ObjectSource.INVENTORY ? fromInventory(item, settings) : fromListing(item, settings);
    if (!object) {
      ignored += 1;
      continue;
    }
    const identity = `${object.bucket}/${object.key}#${object.revision}`;
    sorted.identities.push(identity);
    const skip = (reason: SkipReason) => sorted.skipped.push({
      bucket: object.bucket, key: object.key, reason, ...(object.size !== undefined && { size: object.size }), ...(object.version !== undefined && { version: object.version }),
    });
    if (!hasImageSuffix(object.key, settings.imageSuffixes)) skip(SkipReason.NOT_AN_IMAGE);
    else if (object.size === 0) skip(SkipReason.EMPTY);
    else if (object.size !== undefined && object.size > MAX_IMAGE_BYTES) skip(SkipReason.TOO_LARGE);
    else sorted.images.push({ bucket: object.bucket, key: object.key, identity, ...(object.version !== undefined && { version: object.version }) });
  }
  return { ...sorted, ignored };
}

interface Candidate {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly version?: string;
  readonly revision: string;
}

function fromListing(item: ListedObject, settings: BackfillSettings): Candidate | undefined {
  if (!item.Key.startsWith(settings.imagePrefix)) return undefined;
  const size = toNumber(item.Size);
  return { bucket: settings.imageBucket, key: item.Key, size, revision: item.ETag ?? `size:${size ?? ''}` };
}

/** Inventory CSV keys are URL-encoded (S3 documents it), spaces as '+', like S3 event keys. */
function fromInventory(item: ListedObject, settings: BackfillSettings): Candidate | undefined {
  if (item.Bucket !== undefined && item.Bucket !== settings.imageBucket) return undefined;
  if (isTrue(item.IsDeleteMarker) || item.IsLatest !== undefined && !isTrue(item.IsLatest)) return undefined;
  const key = decodeURIComponent(item.Key.replace(/\+/g, ' '));
  if (!key.startsWith(settings.imagePrefix)) return undefined;
  const size = toNumber(item.Size);
  const version = item.VersionId || undefined;
  return { bucket: settings.imageBucket, key, size, version, revision: item.ETag ?? version ?? `size:${size ?? ''}` };
}

function toNumber(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function isTrue(value: boolean | string | undefined): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}
