import type { S3Client } from '@aws-sdk/client-s3';
import type { BackfillBatch, BackfillProgress, BackfillSettings } from '../../lib/backfill/backfill-contract';
import { SkipReason } from '../../lib/ingest/ingest-contract';
import { claimObjects } from '../ingest/claim-objects';
import { batchName, planBatch, writeBatch } from '../ingest/manifest-batch';
import { sortObjects } from './sort-objects';

export interface WrittenBackfillBatch extends BackfillProgress {
  /** The batch's name ('' when nothing in it was an object of the backfill). */
  readonly batch: string;
}

/**
 * One batch of listed objects -> manifests of its images and a skip report in the backfill's
 * folder, named after the batch's contents and written create-only: the same objects (same keys
 * and ETags) listed again by a retry, a redrive or a second run give the same keys, which are
 * not written again, so no image is paid for twice.
 */
export async function writeBackfillBatch(s3: S3Client, batch: BackfillBatch, settings: BackfillSettings): Promise<WrittenBackfillBatch> {
  const sorted = sortObjects(batch.Items, batch.BatchInput.source, settings);
  const listed = { objectsListed: batch.Items.length, objectsIgnored: sorted.ignored };
  if (sorted.identities.length === 0) return { batch: '', ...listed, imagesSkipped: sorted.skipped.length, images: 0, imagesQueued: 0, manifestsWritten: 0, manifestsExisting: 0 };

  const name = batchName(sorted.identities);
  // Claimed by the batch: a later run whose batch holds the same object version among changed
  // ones (another name) finds it taken and does not pay for it again.
  const { claimed, skipped: queuedBefore } = await claimObjects(s3, settings.manifestBucket, settings.manifestFolder, sorted.images,
    (image) => ({ identity: image.identity, claimant: name, isOurs: (owner) => owner === name }), SkipReason.ALREADY_QUEUED);
  const skipped = [...sorted.skipped, ...queuedBefore];
  const plan = planBatch(name, claimed, skipped, {
    bucket: settings.manifestBucket,
    folder: settings.manifestFolder,
    suffix: settings.manifestSuffix,
    maxImagesPerManifest: settings.maxImagesPerManifest,
  });
  const { written } = await writeBatch(s3, settings.manifestBucket, plan);
  const writtenNow = new Set(written);
  const manifestsNow = plan.manifests.filter((manifest) => writtenNow.has(manifest.key));
  return {
    batch: name,
    ...listed,
    imagesSkipped: skipped.length,
    images: plan.manifests.reduce((sum, manifest) => sum + manifest.images, 0),
    imagesQueued: manifestsNow.reduce((sum, manifest) => sum + manifest.images, 0),
    manifestsWritten: manifestsNow.length,
    manifestsExisting: plan.manifests.length - manifestsNow.length,
  };
}
