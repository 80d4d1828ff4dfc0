import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { FunctionVpcProps } from '../common/function-vpc-props';
import type { IModerationPipeline } from '../pipeline/moderation-pipeline-interface';

/**
 * An S3 Inventory report (CSV) that lists the objects to backfill instead of ListObjectsV2.
 */
export interface BackfillInventoryManifest {
  /** The inventory's destination bucket. */
  readonly bucket: s3.IBucket;
  /**
   * The key of the report's `manifest.json`
   * (`<destination prefix>/<source bucket>/<config id>/<YYYY-MM-DDTHH-MMZ>/manifest.json`). The
   * workflow reads it and the report's data files, so it gets read access to the config's folder
   * (the key less its last two parts).
   */
  readonly key: string;
}

/**
 * Properties of a {@link ModerationBackfill}.
 */
export interface ModerationBackfillProps extends FunctionVpcProps {
  /** The pipeline that moderates the manifests the backfill writes. */
  readonly pipeline: IModerationPipeline;

  /**
   * The bucket of the images: the pipeline's input bucket or one of its `imageBuckets`, so
   * Rekognition may read them.
   */
  readonly bucket: s3.IBucket;

  /**
   * The key prefix of the images ('' for the whole bucket). The workflow may list only this
   * prefix (an `s3:prefix` condition). In the pipeline's input bucket it must not overlap the
   * manifest prefix, so `''` is refused there.
   *
   * @default ''
   */
  readonly prefix?: string;

  /**
   * Key suffixes of the objects moderated, compared in any letter case. Every other object
   * listed is counted in a skip report instead.
   *
   * @default ['.jpg', '.jpeg', '.png']
   */
  readonly suffixes?: string[];

  /**
   * Most images in one manifest (1-10,000, Rekognition's limit). A batch of the Distributed Map
   * is also kept within Step Functions' 256 KiB input, so with long keys manifests hold fewer.
   *
   * @default 10000
   */
  readonly maxImagesPerManifest?: number;

  /**
   * Lists the objects from an S3 Inventory report (CSV) instead of ListObjectsV2: cheaper for
   * buckets of many millions of objects. Rows of other prefixes, delete markers and older
   * versions are left out.
   *
   * @default - the workflow lists the prefix with ListObjectsV2
   */
  readonly inventoryManifest?: BackfillInventoryManifest;

  /**
   * Starts one execution when the stack is first deployed (a custom resource calling
   * StartExecution under a name derived from the construct, so a retried deployment does not
   * start a second one). Later runs are started on demand.
   *
   * @default false
   */
  readonly startOnDeploy?: boolean;

  /**
   * How long the workflow's and functions' logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log groups when the backfill is removed.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
