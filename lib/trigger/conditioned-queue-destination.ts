import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * An S3 -> SQS notification destination whose queue-policy and key-policy statements are both
 * conditioned on aws:SourceAccount and aws:SourceArn, as AWS recommends (aws-cdk-lib's
 * SqsDestination leaves the key statement unconditioned and the queue statement without
 * SourceAccount).
 */
export class ConditionedQueueDestination implements s3.IBucketNotificationDestination {
  /**
   * @param keyPolicySourceArn the bucket's ARN as the key policy names it. A bucket encrypted with
   * the queue's own key must be named without a reference to it (a predicted ARN): referencing the
   * bucket from the key policy would make the key and the bucket depend on each other. `undefined`
   * when no such name exists: the key statement is then conditioned on the account only, and the
   * queue policy (which S3 must pass first) still names the bucket.
   * @param events what the events are about, in the statements' Sids (unique per key policy).
   */
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly keyPolicySourceArn: string | undefined,
    private readonly events: string = 'Manifest',
  ) {}

  public bind(_scope: Construct, bucket: s3.IBucket): s3.BucketNotificationDestinationConfig {
    const sourceAccount = { 'aws:SourceAccount': Stack.of(bucket).account };
    const conditions = { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': this.keyPolicySourceArn ?? bucket.bucketArn } };
    const keyConditions = this.keyPolicySourceArn === undefined
      ? { StringEquals: sourceAccount }
      : { StringEquals: sourceAccount, ArnLike: { 'aws:SourceArn': this.keyPolicySourceArn } };
    const s3Service = new iam.ServicePrincipal('s3.amazonaws.com');

    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowS3ToSend${this.events}Events`,
      principals: [s3Service],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions,
    }));

    this.queue.encryptionMasterKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowS3ToEncrypt${this.events}Events`,
      principals: [s3Service],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: keyConditions,
    }), true);

    return {
      arn: this.queue.queueArn,
      type: s3.BucketNotificationDestinationType.QUEUE,
      dependencies: this.queue.node.tryFindChild('Policy') ? [this.queue.node.findChild('Policy')] : [],
    };
  }
}
