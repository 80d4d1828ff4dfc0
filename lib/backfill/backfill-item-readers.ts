import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * aws-cdk-lib's S3ObjectsItemReader grants s3:ListBucket on the whole bucket; this one renders
 * the same ASL and lets the workflow list only its prefix.
 */
export class PrefixScopedObjectsItemReader extends sfn.S3ObjectsItemReader {
  constructor(private readonly listedBucket: s3.IBucket, private readonly listedPrefix: string) {
    super({ bucket: listedBucket, ...(listedPrefix !== '' && { prefix: listedPrefix }) });
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.listedBucket.bucketArn],
      ...(this.listedPrefix !== '' && { conditions: { StringLike: { 's3:prefix': [`${this.listedPrefix}*`] } } }),
    })];
  }
}

/**
 * aws-cdk-lib's S3ManifestItemReader grants s3:GetObject on the whole bucket; this one grants the
 * inventory configuration's folder: the manifest key less `<timestamp>/manifest.json`, which
 * holds both the manifest and the `data/` files it lists.
 */
export class ScopedInventoryItemReader extends sfn.S3ManifestItemReader {
  constructor(private readonly inventoryBucket: s3.IBucket, private readonly manifestKey: string) {
    super({ bucket: inventoryBucket, key: manifestKey });
  }

  /** The folder the inventory's files are in ('' when the key is a token or too short to tell). */
  public static inventoryFolder(manifestKey: string): string {
    if (Token.isUnresolved(manifestKey)) return '';
    const parts = manifestKey.split('/');
    return parts.length > 2 ? `${parts.slice(0, -2).join('/')}/` : '';
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [this.inventoryBucket.arnForObjects(`${ScopedInventoryItemReader.inventoryFolder(this.manifestKey)}*`)],
    })];
  }
}
