import { StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { log } from '../common/log';
import { startExhausted, startFailed } from './failures';
import type { JobPlan } from './job-plan';
import { withRetries } from './retry';
import type { HandlerRuntime } from './runtime';

/**
 * Starts the job and returns its JobId. Throttling, a full set of concurrent job slots and
 * temporary errors are retried within the invocation (withRetries). Every retry sends the same
 * ClientRequestToken.
 */
export async function startJob(logicalId: string, plan: JobPlan, runtime: HandlerRuntime): Promise<string> {
  const result = await withRetries(
    () => runtime.rekognition.send(new StartMediaAnalysisJobCommand(plan.request)),
    runtime,
    (details) => log('WARN', 'StartMediaAnalysisJob failed, retrying', { LogicalResourceId: logicalId, ...details }),
  );
  if (!result.ok) {
    throw result.retryable
      ? startExhausted(logicalId, plan.manifestUri, result.error, result.attempts, result.elapsedMs)
      : startFailed(logicalId, plan.manifestUri, result.error);
  }
  const jobId = result.value.JobId;
  if (!jobId) {
    throw new Error(`ModerationJob ${logicalId}: StartMediaAnalysisJob for ${plan.manifestUri} answered without a JobId`);
  }
  return jobId;
}
