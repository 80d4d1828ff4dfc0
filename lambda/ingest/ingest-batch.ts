import type { S3Client } from '@aws-sdk/client-s3';
import { type IngestSettings, SkipReason } from '../../lib/ingest/ingest-contract';
import { checkObjects } from './check-images';
import { claimObjects } from './claim-objects';
import { identity, parseMessages, type QueueMessage } from './image-events';
import { batchName, planBatch, writeBatch, type WrittenBatch } from './manifest-batch';

export interface IngestedBatch extends WrittenBatch {
  readonly name?: string;
  readonly images: number;
  readonly skipped: number;
  readonly manifests: string[];
  readonly skipReport?: string;
  readonly ignored: string[];
}

/**
 * The messages of one batch -> manifests of their images and a skip report, written before any
 * message is acknowledged. Throws (nothing acknowledged) when an object cannot be checked or a
 * file cannot be written.
 */
export async function ingestBatch(s3: S3Client, messages: readonly QueueMessage[], settings: IngestSettings): Promise<IngestedBatch> {
  const { events, ignored, carriers } = parseMessages(messages, settings.imageBucket, settings.imagePrefix);
  if (events.length === 0) return { images: 0, skipped: 0, manifests: [], written: [], existing: [], ignored };
  const checked = await checkObjects(s3, events, settings.imageSuffixes);
  const found = checked.flatMap((object) => (object.kind === 'image' ? [object.event] : []));
  // Claimed by the message that brought the upload: another delivery of its event, in a later batch, finds it taken.
  const { claimed: images, skipped: duplicates } = await claimObjects(s3, settings.manifestBucket, settings.manifestFolder, found, (image) => {
    const messageIds = [...carriers.get(identity(image)) ?? []].sort();
    return { identity: identity(image), claimant: messageIds[0] ?? '', isOurs: (owner) => messageIds.includes(owner) };
  }, SkipReason.DUPLICATE_EVENT);
  const skipped = [...checked.flatMap((object) => (object.kind === 'skipped' ? [object.skipped] : [])), ...duplicates];
  const name = batchName(events.map(identity));
  const plan = planBatch(name, images, skipped, {
    bucket: settings.manifestBucket,
    folder: settings.manifestFolder,
    suffix: settings.manifestSuffix,
    maxImagesPerManifest: settings.maxImagesPerManifest,
  });
  const written = await writeBatch(s3, settings.manifestBucket, plan);
  return {
    name,
    images: plan.manifests.reduce((sum, manifest) => sum + manifest.images, 0),
    skipped: skipped.length,
    manifests: plan.manifests.map((manifest) => manifest.key),
    skipReport: plan.skipReport?.key,
    ignored,
    ...written,
  };
}
