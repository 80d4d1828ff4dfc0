import { log } from '../common/log';
import { fallbackReason, isBulkAnalysisRefused } from '../per-image/per-image-run';
import { ModerationJobError } from './failures';
import { jobData, type JobPlan } from './job-plan';
import type { JobProperties } from './properties';
import type { HandlerRuntime } from './runtime';
import { startJob } from './start-job';
import { startJobTracking } from './start-job-tracking';
import { startPerImageRun } from './start-per-image-run';
import type { OnEventResponse } from './types';

/**
 * Starts the manifest's moderation with the resource's engine: a bulk analysis job (physical id:
 * the JobId), a per-image run (physical id: the execution ARN), or, for 'auto', a bulk analysis
 * job unless the account is refused bulk analysis, then a per-image run that says why. A bulk job
 * also gets the pipeline's tracking execution (when configured); a per-image run reports itself.
 */
export async function startRun(logicalId: string, plan: JobPlan, props: JobProperties, runtime: HandlerRuntime): Promise<OnEventResponse> {
  if (props.engine === 'per-image') {
    return perImageResponse(await startPerImageRun(logicalId, plan, props, runtime), plan);
  }
  let jobId: string;
  try {
    jobId = await startJob(logicalId, plan, runtime);
  } catch (error) {
    const cause = error instanceof ModerationJobError ? error.cause : error;
    if (props.engine !== 'auto' || !isBulkAnalysisRefused(cause)) {
      throw error;
    }
    const reason = fallbackReason(cause);
    log('WARN', 'Bulk analysis refused, running the manifest per image', { LogicalResourceId: logicalId, fallbackReason: reason });
    return perImageResponse(await startPerImageRun(logicalId, plan, props, runtime, reason), plan);
  }
  await startJobTracking(logicalId, plan, props, jobId, runtime);
  return { PhysicalResourceId: jobId, Data: jobData(jobId, plan) };
}

function perImageResponse(executionArn: string, plan: JobPlan): OnEventResponse {
  return { PhysicalResourceId: executionArn, Data: jobData(executionArn, plan, 'per-image') };
}
