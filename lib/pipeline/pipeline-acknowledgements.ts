import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../common/nag-acknowledgements';

/** aws-cdk-lib's stack-wide singleton that configures bucket notifications. */
const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export interface PipelineFindingSubjects {
  readonly startJobsRole: Construct;
  readonly imageBuckets: s3.IBucket[];
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly projectVersion?: string;
  readonly trackingStateMachine: Construct;
  readonly trackerRole: Construct;
  readonly trackerFunctionArn: string;
}

/** The cdk-nag AwsSolutions findings the pipeline causes on purpose, one acknowledgement each. */
export function acknowledgePipelineFindings(pipeline: Construct, subjects: PipelineFindingSubjects): void {
  const policy = subjects.startJobsRole;
  if (subjects.projectVersion === undefined) {
    acknowledgeFinding(policy, 'AwsSolutions-IAM5', 'rekognition:StartMediaAnalysisJob has no resource type unless an adapter is used, so it can only be granted on "*".', '*');
  }
  for (const bucket of subjects.imageBuckets) {
    acknowledgeFinding(policy, 'AwsSolutions-IAM5', 'Rekognition reads the manifest and every image it lists with the caller\'s permissions; manifests may name any image key in this bucket.', bucket.arnForObjects('*'));
  }
  acknowledgeFinding(policy, 'AwsSolutions-IAM5', 'Rekognition writes each job\'s results under a per-manifest folder below the output prefix with the caller\'s permissions; folder names are only known at run time.', subjects.outputBucket.arnForObjects(`${subjects.outputPrefix}*`));

  acknowledgeFinding(subjects.trackerRole, 'AwsSolutions-IAM5', 'rekognition:GetMediaAnalysisJob has no resource type, so it can only be granted on "*".', '*');
  acknowledgeFinding(subjects.trackerRole, 'AwsSolutions-IAM5', 'The tracker reads each job\'s results and summary and writes its flagged-images list in per-manifest folders below the output prefix, named at run time.', subjects.outputBucket.arnForObjects(`${subjects.outputPrefix}*`));
  acknowledgeFinding(subjects.trackingStateMachine, 'AwsSolutions-IAM5', 'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments and related) support no resource-level permissions.', '*');
  acknowledgeFinding(subjects.trackingStateMachine, 'AwsSolutions-IAM5', 'aws-cdk-lib\'s LambdaInvoke task grants the tracker function and its versions (":*"); the workflow invokes only that function.', `${subjects.trackerFunctionArn}:*`);

  const notificationsHandler = Stack.of(pipeline).node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
  if (notificationsHandler) {
    acknowledgeFinding(notificationsHandler, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'aws-cdk-lib\'s own bucket-notifications handler, shared by the whole stack; its role and policy are not configurable.');
  }
}
