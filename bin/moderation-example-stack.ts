import * as path from 'path';
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ModerationJob, ModerationPipeline } from '../lib';
import { acknowledgeSampleDataFindings } from './sample-data-acknowledgements';

export interface ModerationExampleStackProps extends StackProps {
  /**
   * Ship a sample image and manifest with the stack and moderate them at deploy time with a
   * ModerationJob. Needs an account with Rekognition bulk analysis (closed to new customers
   * since 2026-04-30), or the deployment fails with AccessDenied.
   *
   * @default false
   */
  readonly sampleJob?: boolean;
}

/** The example app: a moderation pipeline with its defaults, and optionally a deploy-time job. */
export class ModerationExampleStack extends Stack {
  public readonly pipeline: ModerationPipeline;
  public readonly sampleJob?: ModerationJob;

  constructor(scope: Construct, id: string, props: ModerationExampleStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new ModerationPipeline(this, 'Pipeline', {
      minConfidence: 60,
    });
    new CfnOutput(this, 'InputBucketName', { value: this.pipeline.inputBucket.bucketName });
    new CfnOutput(this, 'ManifestPrefix', { value: this.pipeline.manifestPrefix });
    new CfnOutput(this, 'OutputBucketName', { value: this.pipeline.outputBucket.bucketName });
    new CfnOutput(this, 'TrackingStateMachine', { value: this.pipeline.trackingStateMachine.stateMachineArn });

    if (props.sampleJob) {
      this.sampleJob = this.addSampleJob();
      new CfnOutput(this, 'SampleJobId', { value: this.sampleJob.jobId });
      new CfnOutput(this, 'SampleJobResults', { value: this.sampleJob.resultsLocation! });
    }
  }

  private addSampleJob(): ModerationJob {
    const bucket = this.pipeline.inputBucket;
    // Outside the manifest prefix, so the pipeline's trigger does not start a second job for it.
    const manifestKey = 'deploy-time/sample.jsonl';
    const sampleData = new s3deploy.BucketDeployment(this, 'SampleData', {
      destinationBucket: bucket,
      sources: [
        s3deploy.Source.asset(path.join(__dirname, 'sample')),
        s3deploy.Source.data(manifestKey, `{"source-ref":"s3://${bucket.bucketName}/images/gradient.png"}\n`),
      ],
      prune: false,
      retainOnDelete: true,
      serverSideEncryption: s3deploy.ServerSideEncryption.AWS_KMS,
      serverSideEncryptionAwsKmsKeyId: this.pipeline.encryptionKey.keyId,
    });
    acknowledgeSampleDataFindings(this, sampleData, bucket);

    const job = new ModerationJob(this, 'SampleJob', {
      pipeline: this.pipeline,
      manifestBucket: bucket,
      manifestKey,
      waitForCompletion: true,
    });
    job.node.addDependency(sampleData);
    return job;
  }
}
