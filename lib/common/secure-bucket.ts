import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketOptions {
  /** A physical name, when other resources must know the ARN without referencing the bucket. */
  readonly bucketName?: string;
  readonly encryptionKey: kms.IKey;
  readonly versioned: boolean;
  readonly accessLogsBucket: s3.IBucket;
  readonly accessLogsPrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/** A bucket encrypted with the customer-managed key, TLS-only, private, with server access logs. */
export function createSecureBucket(scope: Construct, id: string, options: SecureBucketOptions): s3.Bucket {
  return new s3.Bucket(scope, id, {
    bucketName: options.bucketName,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: options.encryptionKey,
    bucketKeyEnabled: true,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: options.versioned,
    serverAccessLogsBucket: options.accessLogsBucket,
    serverAccessLogsPrefix: options.accessLogsPrefix,
    lifecycleRules: options.versioned
      ? [{ id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(90) }]
      : undefined,
    removalPolicy: options.removalPolicy,
  });
}

/**
 * The target of server access logs. S3 cannot deliver access logs to a bucket encrypted with
 * SSE-KMS, so this one uses SSE-S3; it is otherwise as locked down as the others.
 */
export function createAccessLogsBucket(scope: Construct, id: string, removalPolicy: RemovalPolicy): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    removalPolicy,
  });
}
