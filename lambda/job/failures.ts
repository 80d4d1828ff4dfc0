import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { errorCode, HandlerError } from '../common/errors';

/**
 * Failure messages become the CloudFormation event's status reason: each says what failed, the
 * error code and message, and one line of advice.
 */

/** A failure with a readable message that keeps the underlying error's code (see errorCode). */
export class ModerationJobError extends HandlerError {
  public readonly code: string;

  constructor(message: string, cause: unknown) {
    super(HandlerErrorName.MODERATION_JOB_FAILED, message, { cause });
    this.code = errorCode(cause);
  }
}

const START_ADVICE: Readonly<Record<string, string>> = {
  AccessDeniedException:
    "grant the custom resource's role s3:GetObject on the manifest and its images, s3:PutObject on the output bucket, "
    + 'rekognition:StartMediaAnalysisJob, and use of the KMS key if KmsKeyId is set.',
  InvalidParameterException: 'check MinConfidence (0-100), ProjectVersion (an adapter ARN in this Region), KmsKeyId and the output location.',
  InvalidManifestException:
    'the manifest must be JSON Lines with one {"source-ref":"s3://bucket/key"} per line, 1 to 10,000 lines and at most 50 MB.',
  InvalidS3ObjectException: 'check that the manifest (and ManifestVersion) exists in the Region of the stack and that the role can read it.',
  ResourceNotFoundException: 'check that the manifest, the output bucket and the ProjectVersion adapter exist in the Region of the stack.',
  IdempotentParameterMismatchException:
    'a job was already started with this ClientRequestToken and other parameters; change any property of the resource to start a new job.',
};

const GET_ADVICE: Readonly<Record<string, string>> = {
  AccessDeniedException: "grant the custom resource's role rekognition:GetMediaAnalysisJob.",
  ResourceNotFoundException: 'Rekognition keeps job details for one year; change any property of the resource to start a new job.',
};

export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${errorCode(error)}: ${message}`;
}

/** StartMediaAnalysisJob failed with an error that retrying cannot fix. */
export function startFailed(logicalId: string, manifestUri: string, error: unknown): Error {
  const advice = START_ADVICE[errorCode(error)] ?? 'see the error above; the custom resource handler logs have details.';
  return new ModerationJobError(`ModerationJob ${logicalId}: could not start a Rekognition bulk analysis job for ${manifestUri}: `
    + `${describeError(error)}. Fix: ${advice}`, error);
}

/** StartMediaAnalysisJob stayed throttled, out of capacity or unavailable for the whole retry budget. */
export function startExhausted(logicalId: string, manifestUri: string, error: unknown, attempts: number, elapsedMs: number): Error {
  const code = errorCode(error);
  const reason = code === 'LimitExceededException'
    ? 'all concurrent bulk analysis job slots in this account and Region are busy'
    : code === 'ThrottlingException' || code === 'ProvisionedThroughputExceededException'
      ? 'Rekognition kept throttling StartMediaAnalysisJob (other deployments or the pipeline may be starting jobs, or all concurrent job slots are busy)'
      : 'Rekognition kept failing with a temporary error';
  return new ModerationJobError(`ModerationJob ${logicalId}: could not start a Rekognition bulk analysis job for ${manifestUri} `
    + `after ${attempts} attempts in ${Math.round(elapsedMs / 1000)} s: ${reason}. Last error: ${describeError(error)}. `
    + 'Fix: wait for running jobs to finish (or raise the concurrent job quota in Service Quotas), then deploy again.', error);
}

/** GetMediaAnalysisJob failed with an error that retrying cannot fix. */
export function getFailed(jobId: string, error: unknown): Error {
  const advice = GET_ADVICE[errorCode(error)] ?? 'see the error above; the custom resource handler logs have details.';
  return new ModerationJobError(`Could not read the status of moderation job ${jobId}: ${describeError(error)}. Fix: ${advice}`, error);
}

const PER_IMAGE_START_ADVICE: Readonly<Record<string, string>> = {
  AccessDeniedException: "grant the custom resource's role states:StartExecution on the per-image state machine and states:DescribeExecution on its executions.",
  StateMachineDoesNotExist: 'check that the pipeline given to the ModerationJob (and its per-image workflow) is deployed in this account and Region.',
  InvalidArn: 'PerImageStateMachineArn must be the ARN of the pipeline\'s per-image state machine.',
  ExecutionLimitExceeded: 'the account has too many open Step Functions executions; wait for some to end, then deploy again.',
  ExecutionDoesNotExist: 'the run of this resource was started but cannot be found; change any property of the resource to start a new run.',
};

const DESCRIBE_ADVICE: Readonly<Record<string, string>> = {
  AccessDeniedException: "grant the custom resource's role states:DescribeExecution on the per-image state machine's executions.",
  ExecutionDoesNotExist: 'Step Functions keeps the history of ended executions for 90 days; change any property of the resource to start a new run.',
};

/** StartExecution (or the DescribeExecution of a run that already existed) failed. */
export function perImageStartFailed(logicalId: string, manifestUri: string, stateMachineArn: string, error: unknown): Error {
  const advice = PER_IMAGE_START_ADVICE[errorCode(error)] ?? 'see the error above; the custom resource handler logs have details.';
  return new ModerationJobError(`ModerationJob ${logicalId}: could not start the per-image run of ${manifestUri} on ${stateMachineArn}: `
    + `${describeError(error)}. Fix: ${advice}`, error);
}

/** DescribeExecution of a per-image run failed with an error that retrying cannot fix. */
export function describeRunFailed(executionArn: string, error: unknown): Error {
  const advice = DESCRIBE_ADVICE[errorCode(error)] ?? 'see the error above; the custom resource handler logs have details.';
  return new ModerationJobError(`Could not read the status of per-image run ${executionArn}: ${describeError(error)}. Fix: ${advice}`, error);
}
