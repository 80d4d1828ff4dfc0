import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModerationEngine } from '../engine/moderation-engine';
import type { FunctionVpcProps } from '../common/function-vpc-props';
import type { IModerationPipeline } from '../pipeline/moderation-pipeline-interface';

/**
 * Properties of a {@link ModerationJob}.
 */
export interface ModerationJobProps extends FunctionVpcProps {
  /** The bucket that holds the manifest. */
  readonly manifestBucket: s3.IBucket;

  /** The manifest's key (JSON Lines, one `{"source-ref": "s3://bucket/key"}` per line). */
  readonly manifestKey: string;

  /**
   * The manifest's version.
   *
   * @default - the latest version when the job starts
   */
  readonly manifestVersion?: string;

  /**
   * A pipeline to take defaults from: its output bucket and prefix, key, minConfidence,
   * adapter and job name prefix.
   *
   * @default - no defaults: `outputBucket` is required
   */
  readonly pipeline?: IModerationPipeline;

  /**
   * The bucket that receives the results.
   *
   * @default - the pipeline's output bucket
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * Key prefix in the output bucket; the job gets its own folder below it. Up to 700 bytes in
   * UTF-8 (counting the '/' added when it does not end in one), no whitespace, no leading '/'
   * and no '//'.
   *
   * @default - the pipeline's output prefix, else 'results/'
   */
  readonly outputPrefix?: string;

  /**
   * The job's KmsKeyId: Rekognition encrypts the images it copies and the results with it.
   *
   * @default - the pipeline's key, else none (S3's default encryption applies)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Minimum confidence (0-100) of the labels returned.
   *
   * @default - the pipeline's, else Rekognition's default (50)
   */
  readonly minConfidence?: number;

  /**
   * ARN of a custom moderation adapter (Rekognition project version).
   *
   * @default - the pipeline's, else the base model
   */
  readonly projectVersion?: string;

  /**
   * How the manifest is moderated. `ModerationEngine.perImage()` and `auto()` run it on the
   * per-image workflow of `pipeline` (whose engine must be `perImage()` or `auto()`), with the
   * pipeline's input bucket and manifest prefix, output location, key, minConfidence and adapter:
   * the job's own settings must agree with them. Give `perImage()` or `auto()` without options:
   * the run's rate, failure share and timeout are those of the pipeline's engine, so options given
   * here would be ignored and are refused at synth.
   *
   * @default - the pipeline's engine when a pipeline is given, else ModerationEngine.bulk()
   */
  readonly engine?: ModerationEngine;

  /**
   * Report a bulk job as the pipeline reports the jobs its trigger starts: once the job has
   * started, an execution of the pipeline's tracking workflow (named after the job's token, so a
   * retried deployment starts nothing twice) reads its results, applies the pipeline's policy and
   * publishes one completion event. A per-image run always reports itself (its workflow does), so
   * `false` is refused with `ModerationEngine.perImage()`; with `auto()` it concerns the bulk job.
   * Needs a pipeline, and the job's results where the pipeline's tracking can read them: the
   * pipeline's output bucket, under its output prefix, encrypted with its key. If the tracking
   * execution cannot be started, the job still runs and the deployment succeeds: the failure is
   * logged at ERROR by the custom resource's function, with the command that starts it by hand.
   *
   * @default - true when a pipeline is given and the job's results are where its tracking reads
   *   them; otherwise false (with a warning when only the output location stands in the way)
   */
  readonly reportCompletion?: boolean;

  /**
   * The exact job name (1-64 characters: letters, digits, '_', '.', '-').
   *
   * @default - derived from the manifest's file name and a digest, with the pipeline's prefix
   */
  readonly jobName?: string;

  /**
   * Wait, during the deployment, until the job has finished, and fail the deployment if the job
   * fails. The wait is bounded by `completionTimeout` (at most 1 hour, the custom-resource
   * provider's limit): a longer job fails the deployment even though the job goes on.
   *
   * @default false
   */
  readonly waitForCompletion?: boolean;

  /**
   * How long the deployment waits for the job with `waitForCompletion` (1 to 60 minutes).
   *
   * @default Duration.hours(1)
   */
  readonly completionTimeout?: Duration;

  /**
   * How often the job's status is checked with `waitForCompletion` (10 seconds to 10 minutes).
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * Retention of the handler log groups.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}
