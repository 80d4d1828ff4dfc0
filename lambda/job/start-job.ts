import { StartMediaAnalysisJobCommand } from '@aws-sdk/client-rekognition';
import { classifyError, errorCode, type ErrorClass } from '../common/errors';
import { log } from '../common/log';
import { startExhausted, startFailed } from './failures';
import type { JobPlan } from './job-plan';
import { DEFAULT_RETRY_POLICY, type HandlerRuntime } from './runtime';

/** Classes worth another attempt within one invocation. */
const RETRIED: ReadonlySet<ErrorClass> = new Set<ErrorClass>(['capacity', 'throttled', 'transient']);

/**
 * Starts the job and returns its JobId. Throttling, a full set of concurrent job slots and
 * temporary errors are retried with exponential backoff (equal jitter) for up to the retry
 * budget, measured on the clock so the SDK's own retries count too, and never past the Lambda
 * timeout minus a safety margin. Every retry sends the same ClientRequestToken.
 */
export async function startJob(logicalId: string, plan: JobPlan, runtime: HandlerRuntime): Promise<string> {
  const policy = runtime.retry ?? DEFAULT_RETRY_POLICY;
  const started = runtime.now();
  const remaining = runtime.remainingTimeMs?.();
  const budget = remaining === undefined ? policy.budgetMs : Math.min(policy.budgetMs, remaining - policy.safetyMarginMs);
  const deadline = started + budget;

  for (let attempt = 1; ; attempt++) {
    let jobId: string | undefined;
    try {
      const response = await runtime.rekognition.send(new StartMediaAnalysisJobCommand(plan.request));
      jobId = response.JobId;
    } catch (error) {
      const errorClass = classifyError(error);
      if (!RETRIED.has(errorClass)) {
        throw startFailed(logicalId, plan.manifestUri, error);
      }
      const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(step / 2 + runtime.random() * (step / 2));
      if (runtime.now() + delay > deadline) {
        throw startExhausted(logicalId, plan.manifestUri, error, attempt, runtime.now() - started);
      }
      log('WARN', 'StartMediaAnalysisJob failed, retrying', {
        LogicalResourceId: logicalId,
        attempt,
        errorCode: errorCode(error),
        errorClass,
        delayMs: delay,
      });
      await runtime.sleep(delay);
      continue;
    }
    if (!jobId) {
      throw new Error(`ModerationJob ${logicalId}: StartMediaAnalysisJob for ${plan.manifestUri} answered without a JobId`);
    }
    return jobId;
  }
}
