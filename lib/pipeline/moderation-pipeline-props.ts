import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModerationPolicy } from '../actions/moderation-policy';
import { ModerationEngine } from '../engine/moderation-engine';
import type { ImageIngestion } from '../ingest/image-ingestion';
import type { FunctionVpcProps } from '../common/function-vpc-props';

/**
 * Properties of a {@link ModerationPipeline}.
 */
export interface ModerationPipelineProps extends FunctionVpcProps {
  /**
   * The bucket that receives manifests (and, usually, the images they list).
   *
   * Bring your own to use an existing bucket; the construct then leaves its encryption,
   * versioning and logging as they are and only adds the event notification and the grants.
   * Versioning is strongly recommended: it lets every job pin the exact manifest it was
   * started for.
   *
   * @default - a new versioned bucket encrypted with `encryptionKey`, TLS-only, public access
   * blocked, server access logs to `accessLogsBucket`
   */
  readonly inputBucket?: s3.IBucket;

  /**
   * The bucket that receives results, summaries and error reports.
   *
   * May be the same bucket as `inputBucket`, as long as `outputPrefix` and `manifestPrefix`
   * do not overlap (otherwise every result would start a new job).
   *
   * @default - a new bucket with the same posture as the input bucket
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * Whether the output bucket the construct creates is versioned. Ignored when you pass
   * `outputBucket`.
   *
   * @default true
   */
  readonly outputBucketVersioned?: boolean;

  /**
   * The bucket that receives the server access logs of the buckets the construct creates.
   * Only valid when the construct creates at least one bucket.
   *
   * @default - a new SSE-S3 encrypted, TLS-only, private bucket (S3 cannot deliver access logs
   * to an SSE-KMS bucket), created only when the construct creates a bucket
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The customer-managed key for the buckets and queues the construct creates, and the
   * `KmsKeyId` of every job (Rekognition encrypts the images it copies and the results it
   * writes with it).
   *
   * With an imported key the construct cannot edit the key policy: add a statement that lets
   * `s3.amazonaws.com` call kms:GenerateDataKey* and kms:Decrypt on condition of
   * aws:SourceAccount and aws:SourceArn (the input bucket), or S3 cannot publish to the queue.
   *
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Key prefix under which new objects are treated as manifests. Use '' for the whole bucket.
   * No leading '/' and no '//': the notification filter would never match an ordinary key.
   *
   * @default 'manifests/'
   */
  readonly manifestPrefix?: string;

  /**
   * Key suffixes that mark an object as a manifest. One S3 event notification is created per
   * suffix; no suffix may end with another (S3 rejects overlapping notifications).
   *
   * @default ['.jsonl', '.manifest']
   */
  readonly manifestSuffixes?: string[];

  /**
   * Key prefix in the output bucket. Every manifest gets its own folder below it, named after
   * the manifest key and a digest of bucket, key and version, so two manifests never write
   * over each other. Up to 700 bytes in UTF-8 (counting the '/' added when it does not end in
   * one), no whitespace, no leading '/' and no '//'.
   *
   * @default 'results/'
   */
  readonly outputPrefix?: string;

  /**
   * Further buckets that manifests may reference images in. The trigger's role (which
   * Rekognition reads the images with) gets read access to them and to the input bucket.
   * Images encrypted with another KMS key also need kms:Decrypt on that key for
   * `triggerFunction.role`.
   *
   * @default - images are read from the input bucket only
   */
  readonly imageBuckets?: s3.IBucket[];

  /**
   * Minimum confidence (0-100) of the moderation labels returned.
   *
   * @default - Rekognition's default: labels with a confidence of 50 or more
   */
  readonly minConfidence?: number;

  /**
   * ARN of a custom moderation adapter (a Rekognition project version) to analyse with.
   * The trigger's permission to start jobs is then scoped to this ARN.
   *
   * @see https://docs.aws.amazon.com/rekognition/latest/dg/moderation-adapters.html
   * @default - the base moderation model
   */
  readonly projectVersion?: string;

  /**
   * Prefix of every job name (letters, digits, '_', '.', '-'; up to 40 characters). The rest of
   * the name comes from the manifest's file name and a digest.
   *
   * @default 'moderation-'
   */
  readonly jobNamePrefix?: string;

  /**
   * What happens to the buckets, the key and the log groups when the construct is removed from
   * the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Manifest events the trigger function receives per invocation (1-10). Manifests in one
   * batch are started one after the other (StartMediaAnalysisJob allows 5 calls a second).
   *
   * @default 5
   */
  readonly triggerBatchSize?: number;

  /**
   * Most trigger functions that run at once (2-1000).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-max-concurrency
   * @default 2
   */
  readonly triggerMaxConcurrency?: number;

  /**
   * Timeout of the trigger function (10 seconds to 15 minutes). The queue's visibility timeout
   * is six times this, as AWS recommends.
   *
   * @default Duration.minutes(1)
   */
  readonly triggerTimeout?: Duration;

  /**
   * Receives of one manifest event before the queue moves it to the dead-letter queue (5-1000).
   * High on purpose: while every concurrent-job slot is busy the trigger keeps a manifest in the
   * queue with delays of up to an hour, and each wait is a receive. 100 covers about four days
   * of waiting.
   *
   * @default 100
   */
  readonly maxReceiveCount?: number;

  /**
   * Attempts at a manifest whose failure is neither a known transient error nor a known
   * permanent one, before the trigger forwards it to the dead-letter queue with the error as
   * message attributes (1 to `maxReceiveCount` - 1).
   *
   * @default 5
   */
  readonly unexpectedErrorAttempts?: number;

  /**
   * Retention of the construct's log groups.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long the tracking workflow waits between two GetMediaAnalysisJob calls for a running
   * job (1 to 60 minutes). Five minutes keeps 20 running jobs at 0.07 calls a second, far
   * inside the 20 TPS quota, and reports a finished job at most five minutes late.
   *
   * @default Duration.minutes(5)
   */
  readonly pollInterval?: Duration;

  /**
   * How long a job is tracked: a job still running then is reported in a FAILED completion event
   * (`failure.stage` TRACKING_TIMEOUT) and no longer tracked. At most 2,500 polls fit in one
   * execution's history, so `trackingTimeout / pollInterval` may not exceed 2,500.
   *
   * @default Duration.days(7)
   */
  readonly trackingTimeout?: Duration;

  /**
   * The event bus that receives one completion event per manifest.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * An SNS topic that also receives every completion event (as the message body).
   * Exclusive with `createCompletionTopic`.
   *
   * @default - no topic, unless `createCompletionTopic` is set
   */
  readonly completionTopic?: sns.ITopic;

  /**
   * Create an SNS topic, encrypted with the pipeline's key and TLS-only, that receives every
   * completion event; it is exposed as `completionTopic`.
   *
   * @default false
   */
  readonly createCompletionTopic?: boolean;

  /**
   * Create the CloudWatch alarms: dead-letter queue not empty, trigger errors, a manifest waiting
   * longer than `maxManifestWait`, failed jobs, failed job tracking.
   *
   * @default true
   */
  readonly alarmsEnabled?: boolean;

  /**
   * A topic that every alarm notifies.
   *
   * @default - a topic encrypted with the pipeline's key (`alarmTopic` of the pipeline): subscribe to it
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * How long a manifest may wait in the queue for a job before the ManifestWaitingTooLong
   * alarm fires.
   *
   * @default Duration.hours(6)
   */
  readonly maxManifestWait?: Duration;

  /**
   * Create a CloudWatch dashboard of the pipeline.
   *
   * @default false
   */
  readonly dashboardEnabled?: boolean;

  /**
   * Check each manifest before starting a job for it, reading it once (streaming, constant
   * memory): a manifest that is empty, over 10,000 lines or 50 MB, has no valid line, or
   * references a bucket the pipeline may not read gets an error report with line numbers
   * instead of a job; other invalid lines are listed in a validation report next to the results.
   * Costs one S3 GET per manifest and about a second of trigger time per 50 MB.
   *
   * @default true
   */
  readonly validateManifests?: boolean;

  /**
   * How manifests are moderated: `ModerationEngine.bulk()` (StartMediaAnalysisJob, needs an
   * account with bulk analysis), `ModerationEngine.perImage()` (DetectModerationLabels image by
   * image in a Step Functions workflow, any account), or `ModerationEngine.auto()` (bulk, falling
   * back to per-image for a manifest when the account is refused bulk analysis). All three read
   * the same manifests and write the same files and completion events.
   *
   * @default ModerationEngine.bulk()
   */
  readonly engine?: ModerationEngine;

  /**
   * Moderate images as they land, without writing manifests: `ImageIngestion.fromPrefix('uploads/')`
   * batches every object uploaded under the prefix into manifests of up to 10,000 images (or
   * after 5 minutes) written under `manifestPrefix` + 'ingest/', with a skip report beside them
   * for what cannot be moderated. The prefix may not overlap `manifestPrefix` or, in the same
   * bucket, `outputPrefix`.
   *
   * @default - no ingestion: manifests only
   */
  readonly imageIngestion?: ImageIngestion;

  /**
   * What happens to each image once its job has finished, for both engines: per-label
   * thresholds, each naming its actions (tag the object version, quarantine it behind a
   * bucket-policy Deny, publish a 'Moderation Image Flagged' event). The completion event then
   * counts the actions (`detail.actions`) and the manifest's folder gets `actions-report.json`.
   *
   * @default - no policy: the flagged-images list and the completion event only
   */
  readonly policy?: ModerationPolicy;
}
