import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { HandlerError } from '../common/errors';
import { lazySfn } from '../common/lazy-clients';
import { log } from '../common/log';
import { perImageTrackingInput, startPerImageExecution } from '../per-image/per-image-run';
import { perImageStartFailed } from './failures';
import { manifestRunParts, type JobPlan } from './job-plan';
import type { JobProperties } from './properties';
import type { HandlerRuntime } from './runtime';

/**
 * Starts the manifest's run of the pipeline's per-image workflow and returns the execution's ARN.
 * The execution is named after the resource's token and gets the input the pipeline's trigger
 * would build for the manifest, so the run ends in the same completion event. A retried Create
 * finds the run it started before (ExecutionAlreadyExists once that run has ended) and answers
 * with it; changed properties give a new token, so a new run.
 */
export async function startPerImageRun(
  logicalId: string,
  plan: JobPlan,
  props: JobProperties,
  runtime: Pick<HandlerRuntime, 'sfn'>,
  fallbackReason?: string,
): Promise<string> {
  const stateMachineArn = props.perImageStateMachineArn;
  if (stateMachineArn === undefined) {
    // parseProperties requires it with engines 'per-image' and 'auto'.
    throw new HandlerError(HandlerErrorName.INVALID_INPUT, `ModerationJob ${logicalId}: no PerImageStateMachineArn for a per-image run`);
  }
  const input = perImageTrackingInput(manifestRunParts(plan, props), fallbackReason);
  try {
    const sfn = await (runtime.sfn ?? lazySfn)();
    const execution = await startPerImageExecution(input, stateMachineArn, sfn);
    if (execution.start === 'started') {
      return execution.executionArn;
    }
    // It exists (a retried or duplicated Create): make sure, and answer with it.
    const existing = await sfn.client.send(new sfn.sdk.DescribeExecutionCommand({ executionArn: execution.executionArn }));
    log('INFO', 'Per-image run already started', { LogicalResourceId: logicalId, executionArn: execution.executionArn, status: existing.status });
    return existing.executionArn ?? execution.executionArn;
  } catch (error) {
    throw perImageStartFailed(logicalId, plan.manifestUri, stateMachineArn, error);
  }
}
