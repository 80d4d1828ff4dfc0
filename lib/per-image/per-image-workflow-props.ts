import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';

export interface PerImageWorkflowProps {
  /** Receives items, Map results, the output manifest and the summary, below `outputPrefix`. */
  readonly outputBucket: s3.IBucket;
  /** The pipeline's output prefix ('' or ending in '/'); every manifest's folder is below it. */
  readonly outputPrefix: string;
  /** Encrypts everything the workflow writes; decrypts manifests and images in the pipeline's buckets. */
  readonly encryptionKey: kms.IKey;
  /** Buckets the images may be in: Rekognition reads them with the batch function's permissions. */
  readonly imageBuckets: s3.IBucket[];
  /**
   * The bucket the manifests are in.
   *
   * @default - manifests are read from any of `imageBuckets`
   */
  readonly manifestBucket?: s3.IBucket;
  /**
   * Key prefix of the manifests in `manifestBucket`.
   *
   * @default '' (any key)
   */
  readonly manifestPrefix?: string;
  /**
   * DetectModerationLabels MinConfidence (0-100).
   *
   * @default - Rekognition's default (50)
   */
  readonly minConfidence?: number;
  /**
   * Adapter (project version) ARN.
   *
   * @default - the base model
   */
  readonly projectVersion?: string;
  /** DetectModerationLabels calls per second of one manifest's run (1-1000). */
  readonly imagesPerSecond: number;
  /** Share of the non-blank lines (0-1) that may fail before the run is FAILED. */
  readonly maxFailureShare: number;
  /** Longest run of one manifest (the state machine's timeout). */
  readonly timeout: Duration;
  /** The pipeline's job tracker: turns the finished run's description into the completion event. */
  readonly trackerFunction: lambda.IFunction;
  /**
   * Bus of the completion events.
   *
   * @default - the account's default bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Topic that also receives every completion event.
   *
   * @default - none
   */
  readonly completionTopic?: sns.ITopic;
  /**
   * Applies the pipeline's ModerationPolicy before the completion event.
   *
   * @default - no policy: no actions
   */
  readonly actionsFunction?: lambda.IFunction;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}
