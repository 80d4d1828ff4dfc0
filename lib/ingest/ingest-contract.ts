import { EnvironmentReader, numberProblem, writeEnvironment, type EnvironmentValue, type NumberRange, type Stringify } from '../common/contract/environment';
import { bucketNameProblem, keyPrefixProblem, withSlash } from '../trigger/trigger-contract';

/**
 * The contract between image ingestion (lib/ingest: writes) and its batcher (lambda/ingest: reads):
 * variable names, defaults, limits, the skip report's format and where manifests are written.
 * No aws-cdk-lib here: the handler bundles this file.
 */

/** The export of the ingest bundle's index that Lambda calls. */
export const INGEST_HANDLER = 'handler';

/**
 * The variables of every function that writes manifests of images into a pipeline (the ingest
 * batcher, a backfill's writer): where the images are and where their manifests go.
 */
export const ImageManifestEnvironment = {
  /** The bucket of the images. */
  IMAGE_BUCKET: 'IMAGE_BUCKET',
  /** The key prefix of the images ('' for the whole bucket). */
  IMAGE_PREFIX: 'IMAGE_PREFIX',
  /** Comma-separated key suffixes of images, compared in any letter case. */
  IMAGE_SUFFIXES: 'IMAGE_SUFFIXES',
  /** The pipeline's input bucket, which manifests and skip reports are written to. */
  MANIFEST_BUCKET: 'MANIFEST_BUCKET',
  /** The folder under the pipeline's manifest prefix that the manifests are written to. */
  MANIFEST_FOLDER: 'MANIFEST_FOLDER',
  /** The suffix of every manifest (one of the pipeline's manifest suffixes). */
  MANIFEST_SUFFIX: 'MANIFEST_SUFFIX',
  /** Most images in one manifest (1-10,000). */
  MAX_IMAGES_PER_MANIFEST: 'MAX_IMAGES_PER_MANIFEST',
} as const;

/** Names of the environment variables the construct sets and the batcher reads. */
export const IngestEnvironment = {
  /** URL of the ingest queue, which the batcher also reads itself to fill a manifest. */
  QUEUE_URL: 'QUEUE_URL',
  ...ImageManifestEnvironment,
} as const;

// Limits (Rekognition bulk analysis: input manifests and images).
/** Lines of one manifest. */
export const MAX_IMAGES_PER_MANIFEST = 10_000;
/** Bytes of one manifest. */
export const MAX_MANIFEST_BYTES = 50 * 1024 * 1024;
/** Bytes of one image. */
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;
/** Longest batching window of an SQS event source. */
export const MAX_WAIT_SECONDS = 300;
export const MAX_IMAGES_RANGE: NumberRange = { min: 1, max: MAX_IMAGES_PER_MANIFEST, integer: true };
export const MAX_WAIT_RANGE: NumberRange = { min: 1, max: MAX_WAIT_SECONDS, integer: true };

// Defaults.
export const DEFAULT_IMAGE_SUFFIXES: readonly string[] = ['.jpg', '.jpeg', '.png'];
export const DEFAULT_MAX_WAIT_SECONDS = MAX_WAIT_SECONDS;

/** The folder, below the manifest prefix, that ingest manifests and skip reports are written to. */
export const INGEST_FOLDER = 'ingest/';
/** A skip report's key is its batch's name plus this; it must not end with a manifest suffix. */
export const SKIP_REPORT_SUFFIX = '.skipped.json';

export function ingestManifestFolder(manifestPrefix: string): string {
  return `${withSlash(manifestPrefix)}${INGEST_FOLDER}`;
}

/**
 * The folder, below a folder of manifests (ingest's, a backfill's), of claims: one small object per
 * object version, written create-only by the first batch that puts it in a manifest, so no later
 * batch (a duplicate S3 event, a backfill run over changed objects) puts it in another.
 */
export const CLAIMS_FOLDER = 'claims/';
/** A claim's key ends with this; it must not end with a manifest suffix. */
export const CLAIM_SUFFIX = '.claim';
/** Days a claim is kept: past SQS's 14-day retention no duplicate event can still come. */
export const CLAIM_RETENTION_DAYS = 15;

/** Where the claims of a manifest folder are: `<folder>claims/<digest of the object version>.claim`. */
export function claimsFolder(manifestFolder: string): string {
  return `${withSlash(manifestFolder)}${CLAIMS_FOLDER}`;
}

/** Why an uploaded object is not in a manifest (the skip report's `reason`). */
export const SkipReason = {
  /** The key does not end with one of the image suffixes. */
  NOT_AN_IMAGE: 'not-an-image',
  /** 0 bytes. */
  EMPTY: 'empty',
  /** Over 15 MB, more than Rekognition takes. */
  TOO_LARGE: 'too-large',
  /** Gone before its batch was written (HeadObject 404, or 403 without s3:ListBucket). */
  NOT_FOUND: 'not-found',
  /** A newer version of the key was uploaded since: its own event brings it. */
  SUPERSEDED: 'superseded',
  /** Another delivery of an upload that an earlier batch already put in its manifest. */
  DUPLICATE_EVENT: 'duplicate-event',
  /** An object version an earlier run of the same backfill already put in a manifest (its batch changed since). */
  ALREADY_QUEUED: 'already-queued',
} as const;
export type SkipReason = typeof SkipReason[keyof typeof SkipReason];

/** One object left out of a batch. */
export interface SkippedObject {
  readonly bucket: string;
  readonly key: string;
  readonly version?: string;
  readonly reason: SkipReason;
  /** Bytes, when known. */
  readonly size?: number;
}

/** The skip report written next to a batch's manifests (`<folder><batch><SKIP_REPORT_SUFFIX>`). */
export interface SkipReport {
  readonly version: '1';
  /** The batch's name: the digest of every object event in it. */
  readonly batch: string;
  /** s3:// URIs of the batch's manifests ([] when every object was skipped). */
  readonly manifests: readonly string[];
  /** Images in those manifests. */
  readonly images: number;
  readonly skipped: readonly SkippedObject[];
}

/** Where the images are and where their manifests go (ImageManifestEnvironment). */
export interface ImageManifestSettings {
  readonly imageBucket: string;
  readonly imagePrefix: string;
  readonly imageSuffixes: readonly string[];
  readonly manifestBucket: string;
  /** Ends in '/' (or is ''). */
  readonly manifestFolder: string;
  readonly manifestSuffix: string;
  readonly maxImagesPerManifest: number;
}

/** Everything the batcher is configured with. */
export interface IngestSettings extends ImageManifestSettings {
  readonly queueUrl: string;
}

// Checks: each returns what is wrong with a value, or undefined (construct at synth, handler at start).

export function imageSuffixProblem(value: string): string | undefined {
  return value.length > 0 && !value.includes(',') ? undefined : "must be a non-empty suffix without ','";
}

export function maxImagesProblem(value: number): string | undefined {
  return numberProblem(value, MAX_IMAGES_RANGE);
}

/** Whether two key prefixes can both match one key (one starts with the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Whether `key` ends with one of `suffixes`, in any letter case. */
export function hasImageSuffix(key: string, suffixes: readonly string[]): boolean {
  const lower = key.toLowerCase();
  return suffixes.some((suffix) => lower.endsWith(suffix.toLowerCase()));
}

/** The ImageManifestEnvironment variables' values, for a construct's writeEnvironment call. */
export function imageManifestEnvironmentValues(settings: ImageManifestSettings): Record<string, EnvironmentValue> {
  return {
    [ImageManifestEnvironment.IMAGE_BUCKET]: settings.imageBucket,
    [ImageManifestEnvironment.IMAGE_PREFIX]: settings.imagePrefix,
    [ImageManifestEnvironment.IMAGE_SUFFIXES]: settings.imageSuffixes,
    [ImageManifestEnvironment.MANIFEST_BUCKET]: settings.manifestBucket,
    [ImageManifestEnvironment.MANIFEST_FOLDER]: settings.manifestFolder,
    [ImageManifestEnvironment.MANIFEST_SUFFIX]: settings.manifestSuffix,
    [ImageManifestEnvironment.MAX_IMAGES_PER_MANIFEST]: settings.maxImagesPerManifest,
  };
}

/** Reads the ImageManifestEnvironment variables back; a ConfigError names the first unusable one and its value. */
export function readImageManifestSettings(reader: EnvironmentReader): ImageManifestSettings {
  return {
    imageBucket: reader.requiredString(ImageManifestEnvironment.IMAGE_BUCKET, bucketNameProblem),
    imagePrefix: reader.string(ImageManifestEnvironment.IMAGE_PREFIX, '', keyPrefixProblem),
    imageSuffixes: reader.optionalList(ImageManifestEnvironment.IMAGE_SUFFIXES, imageSuffixProblem) ?? DEFAULT_IMAGE_SUFFIXES,
    manifestBucket: reader.requiredString(ImageManifestEnvironment.MANIFEST_BUCKET, bucketNameProblem),
    manifestFolder: withSlash(reader.requiredString(ImageManifestEnvironment.MANIFEST_FOLDER, keyPrefixProblem)),
    manifestSuffix: reader.string(ImageManifestEnvironment.MANIFEST_SUFFIX, '.jsonl', imageSuffixProblem),
    maxImagesPerManifest: reader.number(ImageManifestEnvironment.MAX_IMAGES_PER_MANIFEST, MAX_IMAGES_PER_MANIFEST, MAX_IMAGES_RANGE),
  };
}

export function ingestEnvironment(settings: IngestSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({ [IngestEnvironment.QUEUE_URL]: settings.queueUrl, ...imageManifestEnvironmentValues(settings) }, stringify);
}

/** Reads the batcher's settings back; a ConfigError names the first unusable variable and its value. */
export function readIngestSettings(env: Readonly<Record<string, string | undefined>>): IngestSettings {
  const reader = new EnvironmentReader(env);
  return { queueUrl: reader.requiredString(IngestEnvironment.QUEUE_URL), ...readImageManifestSettings(reader) };
}
