import { HandlerErrorName } from '../../lib/common/contract/error-names';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';

import { classifyError, errorCode, HandlerError } from '../common/errors';

import { lazySfn } from '../common/lazy-clients';

import { log } from '../common/log';

import type { CompletionEventDetail } from '../../lib/events/completion-event-contract';
import type { FinishedJobDescription } from '../../lib/tracking/tracking-contract';

import { describeRunFailed } from './failures';

import type { HandlerRuntime } from './runtime';

import type { CompletedJobData, IsCompleteResponse } from './types';
import { s3UriOfApiObject } from '../../lib/common/contract/s3-location';


/** Execution statuses that may still end in SUCCEEDED (PENDING_REDRIVE: a redrive is starting). */
const RUNNING: ReadonlySet<string> = new Set(['RUNNING', 'PENDING_REDRIVE']);
/** Longest error cause quoted: CloudFormation's status reason is short. */
const MAX_CAUSE = 1000;

/** What a per-image run's execution output says about the run (see PerImageWorkflow). */
interface RunOutcome {
  readonly status: string;
  readonly results?: string;
  readonly summary?: string;
  readonly failure?: { readonly code: string; readonly message: string };
}

/**
 * isComplete for a per-image run (the physical id is its execution ARN). The execution ends after
 * publishing the completion event; its output holds the event's detail (`step.detail`) and the
 * GetMediaAnalysisJob-shaped `jobDescription`, which say whether the moderation run SUCCEEDED or
 * FAILED and where its output manifest and summary are.
 */
export async function checkPerImageRun(
  executionArn: string,
  context: Record<string, unknown>,
  runtime: Pick<HandlerRuntime, 'sfn'>,
): Promise<IsCompleteResponse> {
  let execution: DescribeExecutionCommandOutput;
  try {
    const { sdk, client } = await (runtime.sfn ?? lazySfn)();
    execution = await client.send(new sdk.DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    const errorClass = classifyError(error);
    if (errorClass === 'throttled' || errorClass === 'capacity' || errorClass === 'transient') {
      log('WARN', 'DescribeExecution failed, polling again later', { ...context, outcome: 'retry', errorCode: errorCode(error), errorClass });
      return { IsComplete: false };
    }
    log('ERROR', 'DescribeExecution failed', { ...context, outcome: 'failed', errorCode: errorCode(error) });
    throw describeRunFailed(executionArn, error);
  }

  const status = execution.status ?? 'UNKNOWN';
  if (status === 'SUCCEEDED') {
    const run = runOutcome(execution.output);
    if (run === undefined) {
      log('ERROR', 'Per-image run ended without a completion detail', { ...context, outcome: 'failed' });
      throw new HandlerError(HandlerErrorName.MALFORMED_OUTPUT, `Per-image run ${executionArn} succeeded but its output has no completion detail (step.detail or jobDescription); see the execution's history.`);
    }
    if (run.status !== 'SUCCEEDED') {
      const code = run.failure?.code ?? 'UNKNOWN';
      const message = run.failure?.message ?? 'no failure details';
      log('ERROR', 'Per-image run failed', { ...context, outcome: 'failed', Status: run.status, failureCode: code, failureMessage: message });
      throw new HandlerError(HandlerErrorName.MODERATION_JOB_FAILED, `Per-image moderation run ${executionArn} ${run.status}: ${code}: ${bounded(message)}`);
    }
    const data: CompletedJobData = {
      ...(run.results !== undefined && { ResultsLocation: run.results }),
      ...(run.summary !== undefined && { SummaryLocation: run.summary }),
      Status: run.status,
    };
    log('INFO', 'ModerationJob complete', { ...context, ...data, outcome: 'succeeded' });
    return { IsComplete: true, Data: data };
  }
  if (RUNNING.has(status)) {
    log('INFO', 'Per-image run still running', { ...context, Status: status, outcome: 'running' });
    return { IsComplete: false };
  }
  // FAILED, TIMED_OUT, ABORTED (or a status this handler does not know): the run will not finish.
  const error = execution.error ?? 'UNKNOWN';
  const cause = execution.cause ?? 'no cause given';
  log('ERROR', 'Per-image run execution ended without success', { ...context, outcome: 'failed', Status: status, error });
  throw new HandlerError(HandlerErrorName.MODERATION_JOB_FAILED, `Per-image run ${executionArn} ended ${status}: ${error}: ${bounded(cause)}`);
}

/** Reads the run's status and output locations from the execution output; undefined when it has neither. */
export function runOutcome(outputText: string | undefined): RunOutcome | undefined {
  let output: { step?: { detail?: Partial<CompletionEventDetail> }; jobDescription?: Partial<FinishedJobDescription> };
  try {
    output = JSON.parse(outputText ?? 'null') ?? {};
  } catch {
    return undefined;
  }
  if (typeof output !== 'object') return undefined;
  const detail = output.step?.detail;
  const described = output.jobDescription;
  const status = detail?.status ?? described?.Status;
  if (typeof status !== 'string') return undefined;
  const code = detail?.failure?.code ?? described?.FailureDetails?.Code;
  const message = detail?.failure?.message ?? described?.FailureDetails?.Message;
  const results = text(detail?.output?.results) ?? s3UriOfApiObject(described?.Results?.S3Object);
  const summary = text(detail?.output?.summary) ?? s3UriOfApiObject(described?.ManifestSummary?.S3Object);
  return {
    status,
    ...(results !== undefined && { results }),
    ...(summary !== undefined && { summary }),
    ...((code !== undefined || message !== undefined) && { failure: { code: code ?? 'UNKNOWN', message: message ?? 'no failure details' } }),
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bounded(value: string): string {
  return value.length <= MAX_CAUSE ? value : `${value.slice(0, MAX_CAUSE - 1)}…`;
}
