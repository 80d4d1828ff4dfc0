import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * aws-cdk-lib's ItemReader and ResultWriter grant the state machine on the whole bucket
 * (`bucket/*`); the per-image workflow only reads and writes below the output prefix. These
 * subclasses render the same ASL and grant exactly that.
 */
export class PrefixScopedJsonLItemReader extends sfn.S3JsonLItemReader {
  constructor(props: sfn.S3FileItemReaderProps & { readonly bucket: s3.IBucket }, private readonly scopePrefix: string) {
    super(props);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${this.scopePrefix}*`)] })];
  }
}

export class PrefixScopedResultWriter extends sfn.ResultWriterV2 {
  constructor(props: sfn.ResultWriterV2Props & { readonly bucket: s3.IBucket }, private readonly scopePrefix: string) {
    super(props);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      resources: [this.bucket!.arnForObjects(`${this.scopePrefix}*`)],
    })];
  }
}
