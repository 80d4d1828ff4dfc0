import {
  GetMediaAnalysisJobCommand,
  type GetMediaAnalysisJobCommandOutput,
  type RekognitionClient,
  type S3Object,
} from '@aws-sdk/client-rekognition';

import { TrackerEnvironment } from '../../lib/tracking/tracking-contract';

import { buildCompletionDetail, DEFAULT_MIN_CONFIDENCE, type JobOutcome, startFailureOutcome } from './completion-event';
import { log } from '../common/log';

import type { CompletionStatus, TrackingInput, TrackingStep } from './tracking-types';
import { type S3Location } from '../../lib/common/contract/s3-location';


const PENDING_STATUSES = new Set(['CREATED', 'QUEUED', 'IN_PROGRESS']);

/** The execution input breaks the contract: no retry can help, so the execution fails visibly. */
export class InvalidTrackingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTrackingInput';
  }
}

/** One poll: the job's status, and once it has finished, the completion event's detail. */
export async function trackJob(input: TrackingInput, rekognition: RekognitionClient): Promise<TrackingStep> {
  const pipeline = process.env[TrackerEnvironment.PIPELINE_ID] || null;
  if (input.startFailure) {
    return { done: true, status: 'FAILED', detail: buildCompletionDetail(input, startFailureOutcome(input), pipeline) };
  }
  if (!input.jobId && !input.jobDescription) {
    throw new InvalidTrackingInputError('jobId or jobDescription is required unless startFailure is set');
  }

  // The per-image engine describes its finished run itself, in GetMediaAnalysisJob's shape.
  const job = input.jobDescription as GetMediaAnalysisJobCommandOutput | undefined
    ?? await rekognition.send(new GetMediaAnalysisJobCommand({ JobId: input.jobId }));
  const status = job.Status ?? 'UNKNOWN';
  if (status !== 'SUCCEEDED' && status !== 'FAILED') {
    if (!PENDING_STATUSES.has(status)) {
      // Keep polling: the workflow's timeout and alarm catch a job that never finishes.
      log('WARN', 'Unknown job status; polling on', { jobId: input.jobId, token: input.token, status });
    }
    return { done: false, status };
  }
  const outcome = await finishedOutcome(input, job, status);
  return { done: true, status, detail: buildCompletionDetail(input, outcome, pipeline) };
}

async function finishedOutcome(
  input: TrackingInput,
  job: GetMediaAnalysisJobCommandOutput,
  status: CompletionStatus,
): Promise<JobOutcome> {
  const summary = location(job.ManifestSummary?.S3Object);
  const results = location(job.Results?.S3Object);
  const outcome: JobOutcome = {
    status,
    failure: status === 'FAILED'
      ? { code: job.FailureDetails?.Code || 'UNKNOWN', message: job.FailureDetails?.Message ?? '', stage: 'JOB' }
      : null,
    summary,
    results,
    createdAt: job.CreationTimestamp ?? null,
    completedAt: job.CompletionTimestamp ?? null,
  };
  // A failed job's results are at best partial: its summary is read, its results are not counted.
  const resultsToRead = status === 'SUCCEEDED' ? results : null;
  if (status === 'SUCCEEDED' && !results) {
    log('WARN', 'Job succeeded without Results.S3Object; the event reports no moderation', { jobId: input.jobId, token: input.token });
  }
  if (!summary && !resultsToRead) {
    return outcome;
  }
  const { readJobOutputs } = await import('./job-outputs');
  const report = await readJobOutputs(input, {
    summary,
    results: resultsToRead,
    minConfidence: input.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
  });
  return { ...outcome, ...report };
}

function location(object: S3Object | undefined): S3Location | null {
  return object?.Bucket && object.Name ? { bucket: object.Bucket, key: object.Name } : null;
}
