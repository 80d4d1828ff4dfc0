/**
 * The image-versions file that the pipeline's ingestion and backfill write next to each manifest
 * whose images' versions they know (a versioned image bucket): the object version each line's
 * image was when the manifest was written. Rekognition's results (bulk and per-image alike) name
 * only the source-ref, so this is how the actions step tags the version that was moderated and
 * tells when it is no longer the current one. A manifest written by hand has no such file: the
 * actions then tag the current version. Imports nothing from aws-cdk-lib: handlers bundle it.
 */

/** `<manifest key><IMAGE_VERSIONS_SUFFIX>`; a manifest suffix must not match it. */
export const IMAGE_VERSIONS_SUFFIX = '.image-versions.json';

export function imageVersionsKey(manifestKey: string): string {
  return `${manifestKey}${IMAGE_VERSIONS_SUFFIX}`;
}

export interface ImageVersionsDocument {
  readonly version: '1';
  /** s3:// URI of the manifest. */
  readonly manifest: string;
  /** source-ref -> VersionId, for every line whose version is known. */
  readonly images: Readonly<Record<string, string>>;
}

/** Why a parsed value is not an image-versions document, or undefined. */
export function imageVersionsProblem(value: unknown): string | undefined {
  const document = value as Partial<ImageVersionsDocument> | null;
  if (typeof document !== 'object' || document === null || document.version !== '1') return 'must be an image-versions document of version 1';
  if (typeof document.images !== 'object' || document.images === null || Array.isArray(document.images)
    || Object.values(document.images).some((version) => typeof version !== 'string' || version === '')) {
    return 'must map each source-ref to a version id';
  }
  return undefined;
}
