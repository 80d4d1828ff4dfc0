import { Duration, Token } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { PropErrors } from '../common/prop-errors';
import { keyPrefixProblem } from '../trigger/trigger-contract';
import { IMAGE_VERSIONS_SUFFIX } from '../common/contract/image-versions';
import { CLAIM_SUFFIX, imageSuffixProblem, maxImagesProblem, MAX_WAIT_SECONDS, prefixesOverlap, SKIP_REPORT_SUFFIX } from './ingest-contract';

/** The settings of an ImageIngestion, as judged. */
export interface IngestionSettings {
  readonly prefix: string;
  readonly suffixes: readonly string[];
  readonly maxImagesPerManifest: number;
  readonly maxWait: Duration;
  readonly bucket?: s3.IBucket;
}

/** The pipeline props an ingestion is judged against. */
export interface IngestionPipelineProps {
  readonly inputBucket?: s3.IBucket;
  readonly outputBucket?: s3.IBucket;
  readonly manifestPrefix: string;
  readonly outputPrefix: string;
  readonly manifestSuffixes: readonly string[];
}

/**
 * The ingestion's own limits, and no loops: the ingest prefix may not overlap the manifest
 * prefix (the batcher's manifests would be ingested) or the output prefix (results would be)
 * in the same bucket. Prefixes that are tokens cannot be proven apart, so they are refused there.
 */
export function checkImageIngestion(errors: PropErrors, ingestion: IngestionSettings, pipeline: IngestionPipelineProps): void {
  const prop = 'imageIngestion';
  errors.stringLength(`${prop} prefix`, ingestion.prefix, 0, 1024);
  errors.satisfies(`${prop} prefix`, ingestion.prefix, keyPrefixProblem);
  errors.satisfies(`${prop} maxImagesPerManifest`, ingestion.maxImagesPerManifest, maxImagesProblem);
  if (ingestion.suffixes.length === 0) errors.add(`${prop} suffixes must name at least one suffix (given [])`);
  for (const suffix of ingestion.suffixes) errors.satisfies(`${prop} suffixes`, suffix, imageSuffixProblem);
  if (ingestion.maxWait.isUnresolved()) {
    errors.add(`${prop} maxWait must be a concrete duration, not a token: it is the event source's batching window`);
  } else {
    const seconds = ingestion.maxWait.toSeconds({ integral: false });
    if (seconds < 1 || seconds > MAX_WAIT_SECONDS || !Number.isInteger(seconds)) {
      errors.add(`${prop} maxWait must be whole seconds from 1 second to 5 minutes, the longest batching window of an SQS event source (given ${ingestion.maxWait.toHumanString()})`);
    }
  }
  for (const suffix of pipeline.manifestSuffixes) {
    if (Token.isUnresolved(suffix) || suffix.length === 0) continue;
    for (const [file, fileSuffix] of [['skip reports', SKIP_REPORT_SUFFIX], ['image-versions files', IMAGE_VERSIONS_SUFFIX], ['image claims', CLAIM_SUFFIX]]) {
      if (fileSuffix.endsWith(suffix)) {
        errors.add(`manifestSuffixes must not contain '${suffix}' with imageIngestion: ${file} ('*${fileSuffix}') would be taken for manifests`);
      }
    }
  }

  const onInputBucket = ingestion.bucket === undefined || sameBucket(ingestion.bucket, pipeline.inputBucket);
  const onOutputBucket = ingestion.bucket === undefined
    ? sameBucket(pipeline.inputBucket, pipeline.outputBucket)
    : sameBucket(ingestion.bucket, pipeline.outputBucket);
  if (onInputBucket) noOverlap(errors, ingestion.prefix, 'manifestPrefix', pipeline.manifestPrefix, 'its manifests would be ingested as uploads');
  if (onOutputBucket) noOverlap(errors, ingestion.prefix, 'outputPrefix', pipeline.outputPrefix, 'results would be ingested as uploads');
}

function noOverlap(errors: PropErrors, prefix: string, otherProp: string, other: string, consequence: string): void {
  if (Token.isUnresolved(prefix) || Token.isUnresolved(other)) {
    errors.add(`imageIngestion prefix and ${otherProp} must be concrete strings, not tokens, when they are in the same bucket: `
      + `they are checked at synth not to overlap, or ${consequence} (given '${prefix}' and '${other}')`);
    return;
  }
  if (prefixesOverlap(prefix, other)) {
    errors.add(`imageIngestion prefix ('${prefix}') must not overlap ${otherProp} ('${other}') in the same bucket, or ${consequence} without end`);
  }
}

function sameBucket(a: s3.IBucket | undefined, b: s3.IBucket | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a === b || (!Token.isUnresolved(a.bucketName) && a.bucketName === b.bucketName);
}
