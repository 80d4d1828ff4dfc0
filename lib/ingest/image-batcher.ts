import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantWithReason } from '../common/grants';
import { HandlerFunction } from '../common/handler-function';
import { tokenAwareString } from '../common/token-string';
import { createEventQueue } from '../common/event-queue';
import { ConditionedQueueDestination } from '../trigger/conditioned-queue-destination';
import { withSlash } from '../trigger/trigger-contract';
import { CLAIM_RETENTION_DAYS, claimsFolder, INGEST_HANDLER, ingestEnvironment, ingestManifestFolder, MAX_IMAGES_PER_MANIFEST } from './ingest-contract';

/** Long enough to receive and check 10,000 objects and write their manifest. */
const BATCHER_TIMEOUT = Duration.minutes(5);
/** Receives of a batch's messages before they go to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
/** Batchers running at once (the event source's minimum). */
const MAX_CONCURRENCY = 2;

/** What the pipeline gives an ingestion to build on. */
export interface ImageBatcherPipelineProps {
  readonly inputBucket: s3.IBucket;
  readonly manifestPrefix: string;
  readonly manifestSuffix: string;
  readonly encryptionKey: kms.IKey;
  readonly alarmTopic?: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface ImageBatcherProps extends ImageBatcherPipelineProps {
  readonly imageBucket: s3.IBucket;
  readonly prefix: string;
  readonly suffixes: string[];
  readonly maxImagesPerManifest: number;
  readonly maxWait: Duration;
}

/**
 * S3 events of uploaded images -> an encrypted queue (with a dead-letter queue and its alarm) ->
 * the batcher, which writes one manifest per batch under the pipeline's manifest prefix.
 */
export class ImageBatcher extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  private readonly queueArnForKeyPolicy: string;
  public readonly handler: HandlerFunction;
  /** The dead-letter queue's alarm, when the pipeline has alarms. */
  public readonly alarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ImageBatcherProps) {
    super(scope, id);
    const events = createEventQueue(this, {
      encryptionKey: props.encryptionKey,
      visibilityTimeout: Duration.seconds(BATCHER_TIMEOUT.toSeconds() * 6),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    this.queue = events.queue;
    this.deadLetterQueue = events.deadLetterQueue;
    this.queueArnForKeyPolicy = events.queueArnForKeyPolicy;

    const manifestFolder = ingestManifestFolder(props.manifestPrefix);
    this.handler = new HandlerFunction(this, 'Handler', {
      asset: 'ingest',
      exportName: INGEST_HANDLER,
      description: 'Batches the S3 events of uploaded images into moderation manifests',
      timeout: BATCHER_TIMEOUT,
      memorySize: 1024,
      environment: ingestEnvironment({
        queueUrl: this.queue.queueUrl,
        imageBucket: props.imageBucket.bucketName,
        imagePrefix: props.prefix,
        imageSuffixes: props.suffixes,
        manifestBucket: props.inputBucket.bucketName,
        manifestFolder,
        manifestSuffix: props.manifestSuffix,
        maxImagesPerManifest: props.maxImagesPerManifest,
      }, tokenAwareString),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.handler.function.addEventSource(new eventSources.SqsEventSource(this.queue, {
      batchSize: Token.isUnresolved(props.maxImagesPerManifest) ? MAX_IMAGES_PER_MANIFEST : Math.min(props.maxImagesPerManifest, MAX_IMAGES_PER_MANIFEST),
      maxBatchingWindow: props.maxWait,
      maxConcurrency: MAX_CONCURRENCY,
    }));

    const role = this.handler.role;
    grantWithReason(role, {
      sid: 'CheckUploadedImages',
      actions: ['s3:GetObject'],
      resources: [props.imageBucket.arnForObjects(`${props.prefix}*`)],
      reason: 'HeadObject (which needs s3:GetObject) of every object uploaded under the ingest prefix, whose keys are not known in advance.',
    });
    grantWithReason(role, {
      sid: 'WriteIngestManifests',
      actions: ['s3:PutObject'],
      resources: [props.inputBucket.arnForObjects(`${withSlash(manifestFolder)}*`)],
      reason: 'Manifests and skip reports named after their batch\'s contents, only in the ingest folder of the manifest prefix.',
    });
    // A claim found written is read to see which message wrote it (claim-images.ts).
    grantWithReason(role, {
      sid: 'ReadImageClaims',
      actions: ['s3:GetObject'],
      resources: [props.inputBucket.arnForObjects(`${claimsFolder(manifestFolder)}*`)],
      reason: 'Claims are named after the object version they claim, only in the claims folder of the ingest folder.',
    });
    props.encryptionKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.expireClaims(props.inputBucket, claimsFolder(manifestFolder));

    this.notify(props);
    if (props.alarmTopic) {
      this.alarm = new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
        alarmDescription: 'S3 events of uploaded images reached the ingest dead-letter queue after failed batches: '
          + 'their images are in no manifest. See the batcher\'s log, then redrive the messages.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
    }
  }

  /**
   * Claims are needed only while a duplicate event can still come (SQS keeps messages 14 days). On
   * a bucket the construct does not own, a warning says what rule to add.
   */
  private expireClaims(bucket: s3.IBucket, folder: string): void {
    const rule = { id: 'ExpireImageClaims', prefix: folder, expiration: Duration.days(CLAIM_RETENTION_DAYS), noncurrentVersionExpiration: Duration.days(1) };
    if (bucket instanceof s3.Bucket) {
      bucket.addLifecycleRule(rule);
      return;
    }
    Annotations.of(this).addWarningV2('cdk-bulk-moderation:imageClaimsNotExpired',
      `The input bucket is imported: add a lifecycle rule expiring '${folder}' after ${CLAIM_RETENTION_DAYS} days, or the batcher's claims (one small object per image) stay.`);
  }

  /**
   * The bucket's notification to the queue (prefix only: the batcher reports what is not an
   * image), or, for a bucket the construct does not own, the queue's and key's policies and a
   * warning with the notification to add.
   */
  private notify(props: ImageBatcherProps): void {
    const destination = new ConditionedQueueDestination(this.queue, this.queueArnForKeyPolicy, 'ImageUpload');
    const owned = props.imageBucket === props.inputBucket
      || (props.imageBucket instanceof s3.Bucket && Stack.of(props.imageBucket) === Stack.of(this));
    if (owned) {
      props.imageBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, ...(props.prefix === '' ? [] : [{ prefix: props.prefix }]));
      return;
    }
    destination.bind(this, props.imageBucket);
    const output = new CfnOutput(this, 'QueueArn', { value: this.queue.queueArn, description: 'The queue the imported image bucket must notify of ObjectCreated events' });
    const bucketName = Token.isUnresolved(props.imageBucket.bucketName) ? 'the imported bucket' : `bucket '${props.imageBucket.bucketName}'`;
    Annotations.of(this).addWarningV2('cdk-bulk-moderation:imageBucketNotification',
      `imageIngestion bucket is imported, so the construct cannot add its event notification. Add to ${bucketName} a notification `
      + `{"Events":["s3:ObjectCreated:*"],"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"${props.prefix}"}]}},"QueueArn":<the stack output ${Stack.of(this).getLogicalId(output)}>} `
      + '(no suffix filter: the batcher reports what is not an image). The queue\'s and key\'s policies already let that bucket send.');
  }
}
