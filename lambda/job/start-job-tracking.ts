import { errorCode } from '../common/errors';
import { lazySfn } from '../common/lazy-clients';
import { log } from '../common/log';
import { manifestRunInput, startManifestExecution } from '../common/tracking-execution';
import { describeError } from './failures';
import { manifestRunParts, type JobPlan } from './job-plan';
import type { JobProperties } from './properties';
import { withRetries } from './retry';
import type { HandlerRuntime } from './runtime';

export type JobTrackingStart = 'started' | 'already-tracked' | 'not-configured' | 'not-started';

const TRACKING_ADVICE: Readonly<Record<string, string>> = {
  AccessDeniedException: "grant the custom resource's role states:StartExecution on the pipeline's tracking state machine.",
  StateMachineDoesNotExist: 'check that the pipeline given to the ModerationJob is deployed in this account and Region.',
  ExecutionLimitExceeded: 'the account has too many open Step Functions executions.',
};

/**
 * Starts the pipeline's tracking execution for a bulk job that has started, with the input and
 * name the pipeline's trigger would give it (named after the token: a CloudFormation retry or a
 * repeated Create finds it started and starts nothing). That execution reads the results, applies
 * the pipeline's policy and publishes the completion event.
 *
 * Never throws: the job runs (and is paid for) whatever happens here, and failing the resource
 * would not stop it. Throttling and temporary errors are retried within the invocation; after
 * that the failure is logged at ERROR with how to start the execution by hand, and the
 * resource succeeds.
 */
export async function startJobTracking(logicalId: string, plan: JobPlan, props: JobProperties, jobId: string, runtime: HandlerRuntime): Promise<JobTrackingStart> {
  const stateMachineArn = runtime.trackingStateMachineArn;
  if (stateMachineArn === undefined) return 'not-configured';
  const input = manifestRunInput(manifestRunParts(plan, props), { engine: 'bulk', jobId });
  const fields = { LogicalResourceId: logicalId, JobId: jobId, stateMachineArn, executionName: input.token };
  const result = await withRetries(
    async () => startManifestExecution(input, stateMachineArn, await (runtime.sfn ?? lazySfn)()),
    runtime,
    (details) => log('WARN', 'Tracking execution not started, retrying', { ...fields, ...details }),
  );
  if (result.ok) {
    const start = result.value.start === 'started' ? 'started' : 'already-tracked';
    log('INFO', 'Job tracking started', { ...fields, tracking: start, executionArn: result.value.executionArn });
    return start;
  }
  const code = errorCode(result.error);
  log('ERROR', 'Job tracking not started: the job runs, but no policy actions and no completion event follow', {
    ...fields,
    tracking: 'not-started',
    attempts: result.attempts,
    errorCode: code,
    error: describeError(result.error),
    fix: `${TRACKING_ADVICE[code] ?? 'see the error above.'} Then start the execution by hand: `
      + `aws stepfunctions start-execution --state-machine-arn ${stateMachineArn} --name ${input.token} --input '${JSON.stringify(input)}'`,
  });
  return 'not-started';
}
