import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ImageVersionsDocument, imageVersionsKey } from '../../lib/common/contract/image-versions';
import { s3Uri } from '../../lib/common/contract/s3-location';
import { BATCH_NAME_LENGTH, batchManifestKey, batchSkipReportKey } from '../../lib/common/contract/batch-files';
import { MAX_MANIFEST_BYTES, type SkippedObject, type SkipReport } from '../../lib/ingest/ingest-contract';
import { deriveToken } from '../common/job-request';

/**
 * Turns a batch of objects into manifests and a skip report, named after the batch's contents,
 * and writes them create-only. Shared by everything that writes manifests into a pipeline from
 * object listings or events: the same objects always give the same keys, and a key that exists
 * is never written again, so a retried batch starts no second job.
 */

/** Where and how big a batch's manifests are. */
export interface ManifestTarget {
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly folder: string;
  /** One of the pipeline's manifest suffixes, so the manifest starts a job. */
  readonly suffix: string;
  readonly maxImagesPerManifest: number;
  /** @default MAX_MANIFEST_BYTES */
  readonly maxManifestBytes?: number;
}

export interface PlannedObject {
  readonly key: string;
  readonly body: string;
}

export interface BatchPlan {
  readonly name: string;
  readonly manifests: Array<PlannedObject & { readonly images: number }>;
  readonly skipReport?: PlannedObject;
  /** One per manifest with a known image version (lib/common/contract/image-versions.ts). */
  readonly imageVersions?: PlannedObject[];
}

/** An image for a manifest line; `version` is known in a versioned bucket. */
export interface PlannedImage {
  readonly bucket: string;
  readonly key: string;
  readonly version?: string;
}

/**
 * The batch's name: a digest of the sorted identities (bucket, key, revision) of every object in
 * it, images and skipped alike, so it does not change when a retry finds an object gone.
 */
export function batchName(identities: readonly string[]): string {
  return deriveToken(...[...new Set(identities)].sort()).slice(0, BATCH_NAME_LENGTH);
}

/**
 * One line per image (`{"source-ref":"s3://bucket/key"}`, each key once, sorted), cut into
 * manifests of at most `maxImagesPerManifest` lines and `maxManifestBytes`; a skip report when
 * anything was skipped; an image-versions file beside each manifest whose images' versions are known.
 */
export function planBatch(
  name: string,
  images: readonly PlannedImage[],
  skipped: readonly SkippedObject[],
  target: ManifestTarget,
): BatchPlan {
  const maxBytes = target.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const uris = [...new Set(images.map((image) => s3Uri(image)))].sort();
  const lineOf = (uri: string) => `${JSON.stringify({ 'source-ref': uri })}\n`;
  const chunks: string[][] = [];
  let bytes = 0;
  for (const uri of uris) {
    const size = Buffer.byteLength(lineOf(uri));
    const current = chunks[chunks.length - 1];
    if (!current || current.length >= target.maxImagesPerManifest || bytes + size > maxBytes) {
      chunks.push([uri]);
      bytes = size;
    } else {
      current.push(uri);
      bytes += size;
    }
  }
  const manifests = chunks.map((chunk, index) => ({
    key: batchManifestKey(target.folder, name, index + 1, chunks.length, target.suffix),
    body: chunk.map(lineOf).join(''),
    images: chunk.length,
  }));
  const imageVersions = planImageVersions(images, chunks, manifests, target.bucket);
  const withVersions = imageVersions.length > 0 ? { imageVersions } : {};
  if (skipped.length === 0) return { name, manifests, ...withVersions };
  const report: SkipReport = {
    version: '1',
    batch: name,
    manifests: manifests.map((manifest) => s3Uri({ bucket: target.bucket, key: manifest.key })),
    images: uris.length,
    skipped: [...skipped].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.version ?? '').localeCompare(b.version ?? ''))),
  };
  return { name, manifests, skipReport: { key: batchSkipReportKey(target.folder, name), body: `${JSON.stringify(report, null, 2)}\n` }, ...withVersions };
}

/** For each manifest, its lines' known versions (none known: no file). */
function planImageVersions(images: readonly PlannedImage[], chunks: readonly string[][], manifests: readonly PlannedObject[], bucket: string): PlannedObject[] {
  // 'null' is the version id S3 gives objects written while versioning was off: not a version to tag.
  const versions = new Map(images.flatMap((image) => (image.version && image.version !== 'null' ? [[s3Uri(image), image.version] as const] : [])));
  if (versions.size === 0) return [];
  return manifests.flatMap((manifest, index) => {
    const known = chunks[index].flatMap((ref) => (versions.has(ref) ? [[ref, versions.get(ref)!] as const] : []));
    if (known.length === 0) return [];
    const document: ImageVersionsDocument = { version: '1', manifest: s3Uri({ bucket, key: manifest.key }), images: Object.fromEntries(known) };
    return [{ key: imageVersionsKey(manifest.key), body: `${JSON.stringify(document)}\n` }];
  });
}

export interface WrittenBatch {
  /** Keys written now. */
  readonly written: string[];
  /** Keys that already existed (a retried batch): left as they were. */
  readonly existing: string[];
}

/**
 * Writes the skip report and the image-versions files, then the manifests (a manifest starts a
 * job as soon as it exists, so what is read beside it is there first), each only if its key does
 * not exist yet (If-None-Match: *):
 * rewriting a manifest would make a new version, and a new version is a new job.
 */
export async function writeBatch(s3: S3Client, bucket: string, plan: BatchPlan): Promise<WrittenBatch> {
  const result: WrittenBatch = { written: [], existing: [] };
  const objects = [...(plan.skipReport ? [{ ...plan.skipReport, contentType: 'application/json' }] : []),
    ...(plan.imageVersions ?? []).map((file) => ({ ...file, contentType: 'application/json' })),
    ...plan.manifests.map((manifest) => ({ ...manifest, contentType: 'application/x-ndjson' }))];
  for (const object of objects) {
    const created = await putIfAbsent(s3, bucket, object.key, object.body, object.contentType);
    (created ? result.written : result.existing).push(object.key);
  }
  return result;
}

/** Writes the object unless its key exists (or a write of it is in flight); true when this call created it. */
export async function putIfAbsent(s3: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<boolean> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
    return true;
  } catch (error) {
    // 412: the key exists. 409: a concurrent conditional write of the same key is in flight.
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    if (status === 412 || status === 409 || (error as Error)?.name === 'PreconditionFailed') return false;
    throw error;
  }
}
