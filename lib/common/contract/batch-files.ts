import { s3Uri, type S3Location } from './s3-location';
import { BACKFILL_FOLDER } from '../../backfill/backfill-contract';
import { INGEST_FOLDER, SKIP_REPORT_SUFFIX } from '../../ingest/ingest-contract';
import { withSlash } from '../../trigger/trigger-contract';

/**
 * How the files of one batch of images are named: its manifests and its skip report. The writers
 * (the ingest batcher, a backfill) name them here, and the tracker finds a manifest's skip report
 * here, so the two cannot drift apart.
 */

/** Hex characters of a batch's name (a digest of its objects). */
export const BATCH_NAME_LENGTH = 32;

/** A batch's manifest: `<folder><batch><suffix>`, or `<folder><batch>-<part><suffix>` when it was cut into several. */
export function batchManifestKey(folder: string, batch: string, part: number, parts: number, suffix: string): string {
  return `${folder}${batch}${parts > 1 ? `-${part}` : ''}${suffix}`;
}

/** A batch's skip report: `<folder><batch>.skipped.json`, beside its manifests and shared by all of them. */
export function batchSkipReportKey(folder: string, batch: string): string {
  return `${folder}${batch}${SKIP_REPORT_SUFFIX}`;
}

/** The folders below a manifest prefix that hold skip reports: image ingestion's, and every backfill's (one level down). */
export function skipReportFolders(manifestPrefix: string): string[] {
  const prefix = withSlash(manifestPrefix);
  return [`${prefix}${INGEST_FOLDER}`, `${prefix}${BACKFILL_FOLDER}`];
}

/**
 * The skip report of the batch a manifest belongs to, or undefined when the manifest is not one a
 * batcher or backfill wrote (outside their folders, or not named after a batch). The report may
 * not exist: a batch that skipped nothing writes none.
 */
export function skipReportOf(manifest: S3Location, manifestPrefix: string): S3Location | undefined {
  const [ingest, backfill] = skipReportFolders(manifestPrefix);
  const slash = manifest.key.lastIndexOf('/');
  const folder = manifest.key.slice(0, slash + 1);
  const inIngest = folder === ingest;
  // A backfill's manifests are in <prefix>backfill/<name>/.
  const inBackfill = folder.startsWith(backfill) && /^[^/]+\/$/.test(folder.slice(backfill.length));
  const batch = new RegExp(`^[0-9a-f]{${BATCH_NAME_LENGTH}}(?![0-9a-f])`).exec(manifest.key.slice(slash + 1))?.[0];
  if (!(inIngest || inBackfill) || !batch) return undefined;
  return { bucket: manifest.bucket, key: batchSkipReportKey(folder, batch) };
}

/**
 * Whether a batch's skips are counted on this manifest's event: on its first manifest only (the
 * first the report lists), so that a batch cut into several manifests counts each skip once.
 */
export function countsSkipsOf(manifest: S3Location, reportedManifests: readonly string[]): boolean {
  return reportedManifests[0] === s3Uri(manifest);
}
