import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { grantWithReason } from '../common/grants';

export interface RekognitionJobAccess {
  /** Buckets holding manifests and images: Rekognition reads them with the caller's permissions. */
  readonly inputBuckets: s3.IBucket[];
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  /** The job's KmsKeyId, when it has one. */
  readonly encryptionKey?: kms.IKey;
  /** The adapter ARN, when one is used. */
  readonly projectVersion?: string;
  /**
   * Whether the principal starts bulk analysis jobs; without, it only reads manifests and writes
   * reports (the per-image engine's trigger).
   *
   * @default true
   */
  readonly startsJobs?: boolean;
}

/**
 * What a principal that calls StartMediaAnalysisJob needs: Rekognition acts with the caller's
 * permissions on the manifest, the images, the output location and the key. The cdk-nag findings
 * of the wildcards are acknowledged with each statement.
 */
export function grantRekognitionJobAccess(role: iam.IRole, access: RekognitionJobAccess): void {
  const startsJobs = access.startsJobs ?? true;
  if (startsJobs) {
    grantWithReason(role, {
      sid: 'StartModerationJobs',
      actions: ['rekognition:StartMediaAnalysisJob'],
      resources: [access.projectVersion ?? '*'],
      reason: 'rekognition:StartMediaAnalysisJob has no resource type unless an adapter is used, so it can only be granted on "*".',
    });
  }
  grantWithReason(role, {
    sid: 'ReadManifestsAndImages',
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    resources: access.inputBuckets.map((bucket) => bucket.arnForObjects('*')),
    reason: startsJobs
      ? 'Rekognition reads the manifest and every image it lists with the caller\'s permissions; manifests may name any image key in this bucket.'
      : 'The trigger validates whichever manifest an S3 event names, at any key; manifests may be in any of the pipeline\'s buckets.',
  });
  grantWithReason(role, {
    sid: 'WriteResults',
    actions: ['s3:PutObject'],
    resources: [access.outputBucket.arnForObjects(`${access.outputPrefix}*`)],
    reason: startsJobs
      ? 'Rekognition writes each job\'s results under a per-manifest folder below the output prefix with the caller\'s permissions; folder names are only known at run time.'
      : 'The trigger writes error and validation reports in per-manifest folders below the output prefix, named at run time.',
  });
  // Manifests and images in buckets encrypted with a key of their own are read with that key.
  const readKeys = [...new Set(access.inputBuckets.map((bucket) => bucket.encryptionKey).filter((key): key is kms.IKey => key !== undefined && key !== access.encryptionKey))];
  if (readKeys.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DecryptManifestsAndImages',
      actions: ['kms:Decrypt'],
      resources: readKeys.map((key) => key.keyArn),
    }));
  }
  if (!access.encryptionKey) return;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'UseJobKey',
    actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
    resources: [access.encryptionKey.keyArn],
  }));
  if (!startsJobs) return;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'LetRekognitionUseJobKey',
    actions: ['kms:CreateGrant'],
    resources: [access.encryptionKey.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  }));
}

/** GetMediaAnalysisJob, for whoever checks a job's status (the tracker, a ModerationJob's isComplete). */
export function grantReadJobStatus(role: iam.IRole): void {
  grantWithReason(role, {
    sid: 'ReadJobStatus',
    actions: ['rekognition:GetMediaAnalysisJob'],
    resources: ['*'],
    reason: 'rekognition:GetMediaAnalysisJob has no resource type, so it can only be granted on "*".',
  });
}
