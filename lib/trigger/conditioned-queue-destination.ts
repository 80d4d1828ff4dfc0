import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * An S3 -> SQS notification destination whose queue-policy and key-policy statements are both
 * conditioned on the account and on this pipeline's resources, as AWS recommends (aws-cdk-lib's
 * SqsDestination leaves the key statement unconditioned and the queue statement without
 * aws:SourceAccount): the queue policy names the bucket (aws:SourceArn), the key policy names the
 * queue through SQS's encryption context (`kms:EncryptionContext:aws:sqs:arn`, the queue's ARN).
 */
export class ConditionedQueueDestination implements s3.IBucketNotificationDestination {
  /**
   * @param queueArnForKeyPolicy the queue's ARN as the key policy names it: known without a
   * reference to the queue (the queue depends on its key), so the key policy can name it without
   * a circular dependency, and without naming the bucket (whose name is generated).
   * @param events what the events are about, in the statements' Sids (unique per key policy).
   */
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly queueArnForKeyPolicy: string,
    private readonly events: string = 'Manifest',
  ) {}

  public bind(_scope: Construct, bucket: s3.IBucket): s3.BucketNotificationDestinationConfig {
    const sourceAccount = { 'aws:SourceAccount': Stack.of(bucket).account };
    const s3Service = new iam.ServicePrincipal('s3.amazonaws.com');

    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowS3ToSend${this.events}Events`,
      principals: [s3Service],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': bucket.bucketArn } },
    }));

    this.queue.encryptionMasterKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowS3ToEncrypt${this.events}Events`,
      principals: [s3Service],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { ...sourceAccount, 'kms:EncryptionContext:aws:sqs:arn': this.queueArnForKeyPolicy } },
    }), true);

    return {
      arn: this.queue.queueArn,
      type: s3.BucketNotificationDestinationType.QUEUE,
      dependencies: this.queue.node.tryFindChild('Policy') ? [this.queue.node.findChild('Policy')] : [],
    };
  }
}
