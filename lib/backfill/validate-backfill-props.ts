import { Token } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { validateFunctionNetwork } from '../common/function-network';
import { PropErrors } from '../common/prop-errors';
import { imageSuffixProblem, maxImagesProblem, prefixesOverlap } from '../ingest/ingest-contract';
import { keyPrefixProblem } from '../trigger/trigger-contract';
import { manifestSuffixClashProblem } from './backfill-contract';
import type { ModerationBackfillProps } from './moderation-backfill-props';

/** The settings of a backfill, as judged (defaults applied). */
export interface BackfillSettingsToCheck {
  readonly prefix: string;
  readonly suffixes: readonly string[];
  readonly maxImagesPerManifest: number;
  readonly manifestSuffixes: readonly string[];
}

/**
 * Every problem of the props, thrown together: the limits, a bucket Rekognition may read through
 * the pipeline, manifest suffixes that the backfill's own files would match, and a prefix that
 * would list the pipeline's own manifests.
 */
export function validateBackfillProps(path: string, props: ModerationBackfillProps, settings: BackfillSettingsToCheck): void {
  const errors = new PropErrors();
  validateFunctionNetwork(errors, props);
  errors.stringLength('prefix', settings.prefix, 0, 1024);
  errors.satisfies('prefix', settings.prefix, keyPrefixProblem);
  errors.satisfies('maxImagesPerManifest', settings.maxImagesPerManifest, maxImagesProblem);
  if (settings.suffixes.length === 0) errors.add('suffixes must name at least one suffix (given [])');
  for (const suffix of settings.suffixes) errors.satisfies('suffixes', suffix, imageSuffixProblem);
  for (const suffix of settings.manifestSuffixes) errors.satisfies('pipeline manifestSuffixes', suffix, manifestSuffixClashProblem);

  const pipeline = props.pipeline;
  if (!pipeline.imageBuckets.some((bucket) => sameBucket(bucket, props.bucket))) {
    errors.add(`bucket must be the pipeline's input bucket or one of its imageBuckets, or Rekognition may not read the images (given ${describe(props.bucket)})`);
  }
  if (sameBucket(props.bucket, pipeline.inputBucket) && !Token.isUnresolved(settings.prefix) && !Token.isUnresolved(pipeline.manifestPrefix)
    && prefixesOverlap(settings.prefix, pipeline.manifestPrefix)) {
    errors.add(`prefix ('${settings.prefix}') must not overlap the pipeline's manifestPrefix ('${pipeline.manifestPrefix}') in its input bucket: the backfill would list the pipeline's own manifests`);
  }
  const inventoryKey = props.inventoryManifest?.key;
  if (inventoryKey !== undefined && !Token.isUnresolved(inventoryKey) && !inventoryKey.endsWith('manifest.json')) {
    errors.add(`inventoryManifest key must be the key of an S3 Inventory report's manifest.json (given '${inventoryKey}')`);
  }
  errors.throwIfAny(path);
}

function sameBucket(a: s3.IBucket, b: s3.IBucket): boolean {
  return a === b || (!Token.isUnresolved(a.bucketName) && a.bucketName === b.bucketName);
}

function describe(bucket: s3.IBucket): string {
  return Token.isUnresolved(bucket.bucketName) ? bucket.node.path : `'${bucket.bucketName}'`;
}
