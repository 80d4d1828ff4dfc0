import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ModerationPipeline } from '../lib';

/** The example app: a moderation pipeline with its defaults. */
export class ModerationExampleStack extends Stack {
  public readonly pipeline: ModerationPipeline;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.pipeline = new ModerationPipeline(this, 'Pipeline', {
      minConfidence: 60,
    });
    new CfnOutput(this, 'InputBucketName', { value: this.pipeline.inputBucket.bucketName });
    new CfnOutput(this, 'ManifestPrefix', { value: this.pipeline.manifestPrefix });
    new CfnOutput(this, 'OutputBucketName', { value: this.pipeline.outputBucket.bucketName });
  }
}
