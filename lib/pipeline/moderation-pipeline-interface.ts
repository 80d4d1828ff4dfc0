import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import type { ModerationEngine } from '../engine/moderation-engine';

/**
 * What a {@link ModerationJob} takes from a pipeline: where manifests and results live, the key,
 * the job settings, the per-image workflow, and the tracking workflow that reports a bulk job. `ModerationPipeline` implements it.
 */
export interface IModerationPipeline extends IConstruct {
  /** The bucket that manifests are uploaded to. */
  readonly inputBucket: s3.IBucket;
  /** The bucket that results, summaries and error reports are written to. */
  readonly outputBucket: s3.IBucket;
  /** The key of the pipeline's buckets and queues and of every job. */
  readonly encryptionKey: kms.IKey;
  /** The key prefix that marks manifests in the input bucket. */
  readonly manifestPrefix: string;
  /**
   * The key suffixes that mark manifests under the manifest prefix; what writes manifests into
   * the pipeline (a backfill) uses the first.
   */
  readonly manifestSuffixes: string[];
  /** The key prefix in the output bucket under which every manifest gets its folder. */
  readonly outputPrefix: string;
  /** The minimum confidence of the labels, when set. */
  readonly minConfidence?: number;
  /** The adapter ARN, when set. */
  readonly projectVersion?: string;
  /** The prefix of every job name. */
  readonly jobNamePrefix: string;
  /** The buckets Rekognition may read images from. */
  readonly imageBuckets: s3.IBucket[];
  /** How manifests are moderated. */
  readonly engine: ModerationEngine;
  /**
   * The workflow that tracks a bulk job to its end, applies the pipeline's policy to its results
   * and publishes its completion event. A ModerationJob starts one execution of it per bulk job
   * (see `reportCompletion`), with the input the pipeline's trigger gives it.
   */
  readonly trackingStateMachine: sfn.IStateMachine;
  /** The per-image workflow, with engines that use it. */
  readonly perImageStateMachine?: sfn.IStateMachine;
}
