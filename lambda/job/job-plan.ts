import type { StartMediaAnalysisJobCommandInput } from '@aws-sdk/client-rekognition';
import { ModerationJobProperty } from '../../lib/job/moderation-job-contract';
import { buildStartRequest, deriveJobName, deriveToken, InvalidJobRequestError } from '../common/job-request';
import type { ManifestRunParts } from '../common/tracking-execution';
import { canonicalProperties, InvalidPropertiesError, type JobProperties } from './properties';
import type { ModerationJobData } from './types';

/** Everything about one job that follows deterministically from the stack, the resource and its properties. */
export interface JobPlan {
  readonly token: string;
  readonly jobName: string;
  /** S3KeyPrefix of the results. */
  readonly outputPrefix: string;
  readonly manifestUri: string;
  readonly request: StartMediaAnalysisJobCommandInput;
}

export interface JobIdentity {
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
}

/** The resource property a StartMediaAnalysisJob request field comes from. */
const PROPERTY_OF_FIELD: Readonly<Record<string, string>> = {
  'OutputConfig.S3Bucket': ModerationJobProperty.OUTPUT_BUCKET,
  'OutputPrefix': ModerationJobProperty.OUTPUT_PREFIX,
  'OutputConfig.S3KeyPrefix': `${ModerationJobProperty.OUTPUT_PREFIX} + ${ModerationJobProperty.MANIFEST_KEY}`,
  'KmsKeyId': ModerationJobProperty.KMS_KEY_ID,
  'DetectModerationLabels.MinConfidence': ModerationJobProperty.MIN_CONFIDENCE,
  'DetectModerationLabels.ProjectVersion': ModerationJobProperty.PROJECT_VERSION,
  'JobName': ModerationJobProperty.JOB_NAME,
  'Input.S3Object.Bucket': ModerationJobProperty.MANIFEST_BUCKET,
  'Input.S3Object.Name': ModerationJobProperty.MANIFEST_KEY,
  'Input.S3Object.Version': ModerationJobProperty.MANIFEST_VERSION,
};

/**
 * ClientRequestToken = sha256(StackId, LogicalResourceId, canonical properties): a retried or
 * duplicated event gets the same token, so Rekognition returns the same job instead of
 * starting (and billing) a second one; any property change gives a new token.
 */
export function jobToken(identity: JobIdentity): string {
  return deriveToken(identity.StackId, identity.LogicalResourceId, canonicalProperties(identity.ResourceProperties));
}

/** Throws InvalidPropertiesError when a derived request field is outside the API's limits. */
export function planJob(identity: JobIdentity, props: JobProperties): JobPlan {
  const token = jobToken(identity);
  const jobName = props.jobName ?? deriveJobName(props.jobNamePrefix, props.manifestKey, token);
  let request: StartMediaAnalysisJobCommandInput;
  try {
    request = buildStartRequest(
      { bucket: props.manifestBucket, key: props.manifestKey, version: props.manifestVersion },
      {
        outputBucket: props.outputBucket,
        outputPrefix: props.outputPrefix,
        kmsKeyId: props.kmsKeyId,
        minConfidence: props.minConfidence,
        projectVersion: props.projectVersion,
        jobNamePrefix: props.jobNamePrefix,
      },
      token,
      jobName,
    );
  } catch (error) {
    if (error instanceof InvalidJobRequestError) {
      const property = PROPERTY_OF_FIELD[error.field];
      throw new InvalidPropertiesError([property ? `${property}: ${error.message}` : error.message]);
    }
    throw error;
  }
  const manifestVersion = props.manifestVersion === undefined ? '' : ` (version ${props.manifestVersion})`;
  return {
    token,
    jobName,
    outputPrefix: request.OutputConfig?.S3KeyPrefix ?? '',
    manifestUri: `s3://${props.manifestBucket}/${props.manifestKey}${manifestVersion}`,
    request,
  };
}

/** The attributes of a job; engine 'per-image' when jobId is a per-image execution's ARN. */
export function jobData(jobId: string, plan: JobPlan, engine?: 'per-image'): ModerationJobData {
  return {
    JobId: jobId,
    JobName: plan.jobName,
    OutputPrefix: plan.outputPrefix,
    ClientRequestToken: plan.token,
    ...(engine !== undefined && { Engine: engine }),
  };
}

/** What the manifest's execution (tracking, or a per-image run) is built from. */
export function manifestRunParts(plan: JobPlan, props: JobProperties): ManifestRunParts {
  return {
    token: plan.token,
    manifest: { bucket: props.manifestBucket, key: props.manifestKey, ...(props.manifestVersion !== undefined && { version: props.manifestVersion }) },
    jobName: plan.jobName,
    outputBucket: props.outputBucket,
    outputPrefix: plan.outputPrefix,
    minConfidence: props.minConfidence,
  };
}
