import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { GetMediaAnalysisJobCommand, type GetMediaAnalysisJobCommandOutput } from '@aws-sdk/client-rekognition';

import { classifyError, errorCode, HandlerError } from '../common/errors';

import { log } from '../common/log';

import { isExecutionArn } from '../per-image/per-image-run';

import { getFailed } from './failures';

import { checkPerImageRun } from './per-image-status';

import { parseProperties } from './properties';

import type { HandlerRuntime } from './runtime';

import type { CompletedJobData, IsCompleteRequest, IsCompleteResponse } from './types';
import { s3UriOfApiObject } from '../../lib/common/contract/s3-location';


const RUNNING: ReadonlySet<string> = new Set(['CREATED', 'QUEUED', 'IN_PROGRESS']);

/**
 * Called by the provider framework with onEvent's response merged into the event, until it
 * answers IsComplete: true, throws, or the provider's total timeout passes.
 */
export async function handleIsComplete(event: IsCompleteRequest, runtime: Pick<HandlerRuntime, 'rekognition' | 'sfn'>): Promise<IsCompleteResponse> {
  const context = {
    RequestType: event.RequestType,
    LogicalResourceId: event.LogicalResourceId,
    RequestId: event.RequestId,
    JobId: event.PhysicalResourceId,
  };
  if (event.RequestType === 'Delete') {
    return complete(context, 'deleted', { IsComplete: true });
  }
  if (!parseProperties(event.ResourceProperties).waitForCompletion) {
    return complete(context, 'not-waiting', { IsComplete: true });
  }
  const jobId = event.PhysicalResourceId;
  if (typeof jobId !== 'string' || jobId === '') {
    throw new HandlerError(HandlerErrorName.INVALID_INPUT, `ModerationJob ${event.LogicalResourceId}: isComplete request without a PhysicalResourceId (JobId)`);
  }
  if (isExecutionArn(jobId)) {
    return checkPerImageRun(jobId, context, runtime);
  }

  let job: GetMediaAnalysisJobCommandOutput;
  try {
    job = await runtime.rekognition.send(new GetMediaAnalysisJobCommand({ JobId: jobId }));
  } catch (error) {
    const errorClass = classifyError(error);
    if (errorClass === 'throttled' || errorClass === 'capacity' || errorClass === 'transient') {
      // Poll again at the next interval instead of failing the deployment.
      log('WARN', 'GetMediaAnalysisJob failed, polling again later', { ...context, outcome: 'retry', errorCode: errorCode(error), errorClass });
      return { IsComplete: false };
    }
    log('ERROR', 'GetMediaAnalysisJob failed', { ...context, outcome: 'failed', errorCode: errorCode(error) });
    throw getFailed(jobId, error);
  }

  const status = job.Status ?? 'UNKNOWN';
  if (status === 'SUCCEEDED') {
    // Read from the job, never derived: the keys Rekognition writes are not documented.
    const results = s3UriOfApiObject(job.Results?.S3Object);
    const summary = s3UriOfApiObject(job.ManifestSummary?.S3Object);
    const data: CompletedJobData = {
      ...(results !== undefined && { ResultsLocation: results }),
      ...(summary !== undefined && { SummaryLocation: summary }),
      Status: status,
    };
    if (results === undefined || summary === undefined) {
      log('WARN', 'Job succeeded without a results or summary location', { ...context, Status: status });
    }
    return complete({ ...context, ...data }, 'succeeded', { IsComplete: true, Data: data });
  }
  if (status === 'FAILED') {
    const jobName = job.JobName ?? stringOf(event.Data?.JobName) ?? 'unnamed';
    const code = job.FailureDetails?.Code ?? 'UNKNOWN';
    const message = job.FailureDetails?.Message ?? 'no failure details';
    log('ERROR', 'Moderation job failed', { ...context, JobName: jobName, outcome: 'failed', failureCode: code, failureMessage: message });
    throw new HandlerError(HandlerErrorName.MODERATION_JOB_FAILED, `Moderation job ${jobId} (${jobName}) failed: ${code}: ${message}`);
  }
  if (!RUNNING.has(status)) {
    // A status this handler does not know: keep polling, the provider's total timeout bounds it.
    log('WARN', 'Unknown job status, polling again later', { ...context, Status: status });
  }
  log('INFO', 'Moderation job still running', { ...context, Status: status, outcome: 'running' });
  return { IsComplete: false };
}

function complete(fields: Record<string, unknown>, outcome: string, response: IsCompleteResponse): IsCompleteResponse {
  log('INFO', 'ModerationJob complete', { ...fields, outcome });
  return response;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
