import { EnvironmentReader, writeEnvironment, type Stringify } from '../common/contract/environment';
import { ImageManifestEnvironment, imageManifestEnvironmentValues, readImageManifestSettings, type ImageManifestSettings } from '../ingest/ingest-contract';
import { withSlash } from '../trigger/trigger-contract';

/**
 * The contract between ModerationBackfill (lib/backfill: writes) and its handlers (lambda/backfill:
 * read): handler names, variable names, the batch the Distributed Map hands a child, the progress
 * each step reports, the metric names and where manifests are written.
 * No aws-cdk-lib here: the handlers bundle this file.
 */

/** The export of the backfill bundle that turns one batch of listed objects into manifests. */
export const WRITE_MANIFESTS_HANDLER = 'writeManifests';
/** The export that adds up the progress of every batch from the Map Run's results. */
export const SUMMARIZE_HANDLER = 'summarize';

/** Names of the environment variables the construct sets and the handlers read. */
export const BackfillEnvironment = {
  /** The backfill's name: the metric dimension and the folder of its manifests. */
  BACKFILL_NAME: 'BACKFILL_NAME',
  ...ImageManifestEnvironment,
} as const;

/** The folder, below the manifest prefix, that every backfill's folder is in. */
export const BACKFILL_FOLDER = 'backfill/';
/** The folder, below a backfill's folder, that the Distributed Map writes its results to. */
export const MAP_RESULTS_FOLDER = 'runs/';

export function backfillManifestFolder(manifestPrefix: string, backfillName: string): string {
  return `${withSlash(manifestPrefix)}${BACKFILL_FOLDER}${backfillName}/`;
}

// Limits (Step Functions Distributed Map).
/** Bytes of one child execution's input: Step Functions' payload limit, 256 KiB. */
export const MAX_CHILD_INPUT_BYTES = 256 * 1024;
/** What the item batcher may put in one batch: the limit less room for BatchInput and the envelope. */
export const MAX_BATCH_INPUT_BYTES = MAX_CHILD_INPUT_BYTES - 6 * 1024;

/** Where the listed objects come from, as the Map's BatchInput tells the handler. */
export const ObjectSource = {
  /** ListObjectsV2 items: Key, Size, ETag (the Map's ItemSelector keeps only those, renaming the reader's `Etag`). */
  LIST: 'list',
  /** S3 Inventory rows: Bucket, Key (URL-encoded), and the fields the inventory has (Size, ETag, VersionId, IsLatest, IsDeleteMarker) as strings. */
  INVENTORY: 'inventory',
} as const;
export type ObjectSource = typeof ObjectSource[keyof typeof ObjectSource];

/** One object of a batch, as the item reader gives it (inventory fields are strings). */
export interface ListedObject {
  readonly Key: string;
  readonly Size?: number | string;
  readonly ETag?: string;
  readonly Bucket?: string;
  readonly VersionId?: string;
  readonly IsLatest?: boolean | string;
  readonly IsDeleteMarker?: boolean | string;
}

/** A child's input: the Map's ItemBatcher output. */
export interface BackfillBatch {
  readonly Items: readonly ListedObject[];
  readonly BatchInput: { readonly source: ObjectSource };
}

/** What one batch did, and (added up) what the whole backfill did: the execution's output. */
export interface BackfillProgress {
  /** Objects the reader listed (images, skipped and ignored alike). */
  readonly objectsListed: number;
  /** Images in manifests (written now or by an earlier run). */
  readonly images: number;
  /** Images in the manifests written by this run: what this run sends to moderation. */
  readonly imagesQueued: number;
  /** Objects in skip reports (not an image, empty, over 15 MB). */
  readonly imagesSkipped: number;
  /** Manifests written by this run. */
  readonly manifestsWritten: number;
  /** Manifests that already existed (an earlier run, or a retried batch): not written, not paid twice. */
  readonly manifestsExisting: number;
  /** Inventory rows left out: other prefixes, delete markers, older versions. */
  readonly objectsIgnored: number;
}

export const EMPTY_PROGRESS: BackfillProgress = {
  objectsListed: 0, images: 0, imagesQueued: 0, imagesSkipped: 0, manifestsWritten: 0, manifestsExisting: 0, objectsIgnored: 0,
};

export function addProgress(a: BackfillProgress, b: Partial<BackfillProgress>): BackfillProgress {
  return {
    objectsListed: a.objectsListed + (b.objectsListed ?? 0),
    images: a.images + (b.images ?? 0),
    imagesQueued: a.imagesQueued + (b.imagesQueued ?? 0),
    imagesSkipped: a.imagesSkipped + (b.imagesSkipped ?? 0),
    manifestsWritten: a.manifestsWritten + (b.manifestsWritten ?? 0),
    manifestsExisting: a.manifestsExisting + (b.manifestsExisting ?? 0),
    objectsIgnored: a.objectsIgnored + (b.objectsIgnored ?? 0),
  };
}

/** The summarizer's input: the Distributed Map's ResultWriterDetails. */
export interface SummarizeInput {
  readonly ResultWriterDetails: { readonly Bucket: string; readonly Key: string };
}

/** The CloudWatch metrics every batch emits (an embedded-metric-format log line), one dimension. */
export const BackfillMetrics = {
  NAMESPACE: 'CdkBulkModeration/Backfill',
  /** Dimension: the backfill's name. */
  DIMENSION: 'Backfill',
  OBJECTS_LISTED: 'ObjectsListed',
  MANIFESTS_WRITTEN: 'ManifestsWritten',
  IMAGES_SKIPPED: 'ImagesSkipped',
  IMAGES_QUEUED: 'ImagesQueued',
} as const;

/** Everything the handlers are configured with. */
export interface BackfillSettings extends ImageManifestSettings {
  readonly backfillName: string;
}

/** A backfill's name: a folder name and a metric dimension value. */
export function backfillNameProblem(value: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? undefined : 'must be 1-64 characters of [A-Za-z0-9_.-]';
}

/**
 * Manifest suffixes that files the backfill writes next to its manifests would match: skip
 * reports (`*.skipped.json`), image-versions files (`*.image-versions.json`) and the Map Run's
 * results (`manifest.json`, `SUCCEEDED_0.json`).
 */
export function manifestSuffixClashProblem(suffix: string): string | undefined {
  return suffix.length > 0 && ('.json'.endsWith(suffix) || suffix.endsWith('.json'))
    ? "must not match '*.json' with a backfill: its skip reports, image-versions files and run results would be taken for manifests"
    : undefined;
}

export function backfillEnvironment(settings: BackfillSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({ [BackfillEnvironment.BACKFILL_NAME]: settings.backfillName, ...imageManifestEnvironmentValues(settings) }, stringify);
}

/** Reads the handlers' settings back; a ConfigError names the first unusable variable and its value. */
export function readBackfillSettings(env: Readonly<Record<string, string | undefined>>): BackfillSettings {
  const reader = new EnvironmentReader(env);
  return { backfillName: reader.requiredString(BackfillEnvironment.BACKFILL_NAME, backfillNameProblem), ...readImageManifestSettings(reader) };
}
