import {
  GetMediaAnalysisJobCommand,
  type GetMediaAnalysisJobCommandOutput,
  type RekognitionClient,
  type S3Object,
} from '@aws-sdk/client-rekognition';
import { HandlerErrorName } from '../../lib/common/contract/error-names';
import { type S3Location } from '../../lib/common/contract/s3-location';
import { type CompletionStatus, DEFAULT_MIN_CONFIDENCE, FailureStage } from '../../lib/events/completion-event-contract';
import type { TrackerSettings, TrackingInput, TrackingStep } from '../../lib/tracking/tracking-contract';
import { HandlerError } from '../common/errors';
import { logger } from '../common/log';
import { buildCompletionDetail, type JobOutcome, resultsGoneOutcome, startFailureOutcome, trackingTimeoutOutcome } from './completion-event';

const PENDING_STATUSES = new Set(['CREATED', 'QUEUED', 'IN_PROGRESS']);

/**
 * One poll: the job's status, and once it has finished (or can no longer be waited for), the
 * completion event's detail.
 */
export async function trackJob(
  input: TrackingInput,
  rekognition: RekognitionClient,
  settings: TrackerSettings = {},
  now: () => Date = () => new Date(),
): Promise<TrackingStep> {
  if (input.startFailure) {
    return finish(input, startFailureOutcome(input), settings);
  }
  if (!input.jobId && !input.jobDescription) {
    // The execution input breaks the contract: no retry can help, so the execution fails visibly.
    throw new HandlerError(HandlerErrorName.INVALID_INPUT, 'jobId or jobDescription is required unless startFailure is set');
  }

  // The per-image engine describes its finished run itself, in GetMediaAnalysisJob's shape.
  const job = input.jobDescription as GetMediaAnalysisJobCommandOutput | undefined
    ?? await rekognition.send(new GetMediaAnalysisJobCommand({ JobId: input.jobId }));
  const status = job.Status ?? 'UNKNOWN';
  if (status !== 'SUCCEEDED' && status !== 'FAILED') {
    if (!PENDING_STATUSES.has(status)) {
      // Keep polling: the tracking timeout ends a job that never finishes.
      logger.warn('Unknown job status; polling on', { jobId: input.jobId, token: input.token, status });
    }
    if (isPastDeadline(input, settings, now())) {
      return finish(input, trackingTimeoutOutcome(status, settings.trackingTimeoutSeconds!, job.CreationTimestamp ?? null), settings);
    }
    return { done: false, status };
  }
  return finish(input, await finishedOutcome(input, job, status), settings);
}

/**
 * The final step: the completion detail, with the skips of the manifest's batch whatever became
 * of its job (they were left out before any job existed).
 */
async function finish(input: TrackingInput, outcome: JobOutcome, settings: TrackerSettings): Promise<TrackingStep> {
  const { readSkipCounts } = await import('./skip-counts');
  const skipped = await readSkipCounts(input.manifest, settings.manifestPrefix);
  const detail = buildCompletionDetail(input, { ...outcome, ...(skipped && { skipped }) }, settings.pipelineId ?? null);
  return { done: true, status: outcome.status, detail };
}

/** Whether the tracking workflow began more than the tracking timeout ago. */
function isPastDeadline(input: TrackingInput, settings: TrackerSettings, now: Date): boolean {
  const startedAt = input.tracking ? Date.parse(input.tracking.startedAt) : NaN;
  if (settings.trackingTimeoutSeconds === undefined || !Number.isFinite(startedAt)) return false;
  return now.getTime() - startedAt >= settings.trackingTimeoutSeconds * 1000;
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
      ? { code: job.FailureDetails?.Code || 'UNKNOWN', message: job.FailureDetails?.Message ?? '', stage: FailureStage.JOB }
      : null,
    summary,
    results,
    createdAt: job.CreationTimestamp ?? null,
    completedAt: job.CompletionTimestamp ?? null,
  };
  // A failed job's results are at best partial: its summary is read, its results are not counted.
  const resultsToRead = status === 'SUCCEEDED' ? results : null;
  if (status === 'SUCCEEDED' && !results) {
    logger.warn('Job succeeded without Results.S3Object; the event reports no moderation', { jobId: input.jobId, token: input.token });
  }
  if (!summary && !resultsToRead) {
    return outcome;
  }
  const { readJobOutputs } = await import('./job-outputs');
  const { gone, ...report } = await readJobOutputs(input, {
    summary,
    results: resultsToRead,
    minConfidence: input.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
  });
  // A succeeded job whose outputs vanished has no outcome to report but this failure; a failed
  // job keeps its own failure, without statistics.
  return gone && status === 'SUCCEEDED' ? resultsGoneOutcome(outcome, gone) : { ...outcome, ...report };
}

function location(object: S3Object | undefined): S3Location | null {
  return object?.Bucket && object.Name ? { bucket: object.Bucket, key: object.Name } : null;
}
