import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../common/nag-acknowledgements';

export interface JobFindingSubjects {
  readonly onEventRole: Construct;
  readonly isCompleteRole?: Construct;
  readonly provider: Construct;
  /** false with engine perImage: no StartMediaAnalysisJob, no S3 or key grants on the handlers. */
  readonly startsBulkJobs: boolean;
  readonly readBuckets: s3.IBucket[];
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly projectVersion?: string;
  /** `arn:...:execution:<per-image state machine name>:*`, with engines perImage and auto. */
  readonly perImageExecutions?: string;
}

/** The cdk-nag AwsSolutions findings a ModerationJob causes on purpose, one acknowledgement each. */
export function acknowledgeJobFindings(_job: Construct, subjects: JobFindingSubjects): void {
  if (subjects.perImageExecutions !== undefined) {
    const reason = 'states:DescribeExecution is granted on the executions of the pipeline\'s per-image state machine only; '
      + 'each run\'s name is derived from the resource at deploy time, so the execution name is a wildcard.';
    acknowledgeFinding(subjects.onEventRole, 'AwsSolutions-IAM5', reason, subjects.perImageExecutions);
    if (subjects.isCompleteRole) {
      acknowledgeFinding(subjects.isCompleteRole, 'AwsSolutions-IAM5', reason, subjects.perImageExecutions);
    }
  }
  if (!subjects.startsBulkJobs) return;
  if (subjects.projectVersion === undefined) {
    acknowledgeFinding(subjects.onEventRole, 'AwsSolutions-IAM5', 'rekognition:StartMediaAnalysisJob has no resource type unless an adapter is used, so it can only be granted on "*".', '*');
  }
  for (const bucket of subjects.readBuckets) {
    acknowledgeFinding(subjects.onEventRole, 'AwsSolutions-IAM5', 'Rekognition reads the manifest and every image it lists with the caller\'s permissions; manifests may name any image key in this bucket.', bucket.arnForObjects('*'));
  }
  acknowledgeFinding(subjects.onEventRole, 'AwsSolutions-IAM5', 'Rekognition writes the job\'s results in a folder below the output prefix, named at run time, with the caller\'s permissions.', subjects.outputBucket.arnForObjects(`${subjects.outputPrefix}*`));
  if (subjects.isCompleteRole) {
    acknowledgeFinding(subjects.isCompleteRole, 'AwsSolutions-IAM5', 'rekognition:GetMediaAnalysisJob has no resource type, so it can only be granted on "*".', '*');
  }
}
