import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

export interface ResultsFolders {
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly encryptionKey: kms.IKey;
}

/**
 * What a handler that reads and writes the per-manifest folders needs besides the objects
 * themselves: listing below the output prefix (without it S3 answers AccessDenied, not NoSuchKey,
 * for an object that is not there, so a missing object could not be told from a refusal) and the
 * pipeline's key.
 */
export function grantListResultsAndKey(role: iam.IRole, folders: ResultsFolders): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ListResults',
    actions: ['s3:ListBucket'],
    resources: [folders.outputBucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${folders.outputPrefix}*`] } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'UseResultsKey',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: [folders.encryptionKey.keyArn],
  }));
}
