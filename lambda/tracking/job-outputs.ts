import { type S3Location } from '../../lib/common/contract/s3-location';
import type { ManifestStatistics, ModerationStatistics } from '../../lib/events/completion-event-contract';
import { readTrackerSettings, type TrackingInput } from '../../lib/tracking/tracking-contract';
import { isObjectGone, MalformedOutputError, openObject, readManifestSummary, scanResults } from '../common/job-results';
import { JsonLinesWriter } from '../common/jsonl-writer';
import { logger } from '../common/log';
import { s3 } from './s3-client';

export const FLAGGED_LIST_NAME = 'flagged-images.jsonl';

export interface FinishedJobOutputs {
  /** ManifestSummary.S3Object, if the job reported one. */
  summary: S3Location | null;
  /** Results.S3Object of a job that succeeded, if reported. */
  results: S3Location | null;
  minConfidence: number;
}

export interface JobOutputsReport {
  statistics: ManifestStatistics | null;
  moderation: ModerationStatistics | null;
  flaggedImages: S3Location | null;
  /** An output object the job named that no longer exists (its report is then null). */
  gone: S3Location | null;
}

export function flaggedListKey(prefix: string): string {
  const folder = prefix.replace(/\/+$/, '');
  return folder === '' ? FLAGGED_LIST_NAME : `${folder}/${FLAGGED_LIST_NAME}`;
}

/** What reading one output object gave: its content, nothing usable (malformed), or that it is gone. */
type Read<T> = { value: T | null; gone?: S3Location };

/**
 * Reads the summary and results a finished job left and writes its flagged-images list. Throttling
 * and other S3 errors propagate (the workflow retries); a malformed object yields nulls and a
 * WARN; an object that is gone is reported as `gone`.
 */
export async function readJobOutputs(input: TrackingInput, job: FinishedJobOutputs): Promise<JobOutputsReport> {
  const statistics: Read<ManifestStatistics> = job.summary ? await readSummary(input, job.summary) : { value: null };
  if (statistics.gone || !job.results) {
    return { statistics: statistics.value, moderation: null, flaggedImages: null, gone: statistics.gone ?? null };
  }
  const flaggedImages = { bucket: input.output.bucket, key: flaggedListKey(input.output.prefix) };
  const moderation = await tallyResults(input, job.results, flaggedImages, job.minConfidence);
  return {
    statistics: statistics.value,
    moderation: moderation.value,
    flaggedImages: moderation.value ? flaggedImages : null,
    gone: moderation.gone ?? null,
  };
}

async function readSummary(input: TrackingInput, summary: S3Location): Promise<Read<ManifestStatistics>> {
  try {
    return { value: await readManifestSummary(s3, summary) };
  } catch (error) {
    return unusable(error, input, summary, 'Manifest summary is malformed; the event reports no statistics');
  }
}

async function tallyResults(
  input: TrackingInput,
  results: S3Location,
  flaggedList: S3Location,
  minConfidence: number,
): Promise<Read<ModerationStatistics>> {
  let body;
  try {
    body = await openObject(s3, results);
  } catch (error) {
    return unusable(error, input, results, 'Results object is unreadable; the event reports no moderation');
  }

  const { kmsKeyId } = readTrackerSettings(process.env);
  const writer = new JsonLinesWriter(s3, { ...flaggedList, kmsKeyId });
  try {
    const { moderation, firstUnreadable } = await scanResults(body, minConfidence, (image) => writer.write(image), results);
    await writer.close();
    if (firstUnreadable) {
      logger.warn('Some result lines are unreadable; their images are not counted', {
        ...ids(input),
        ...results,
        unreadableLines: moderation.unreadableLines,
        firstUnreadableLine: firstUnreadable.lineNumber,
        reason: firstUnreadable.reason,
      });
    }
    return { value: moderation };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** A malformed or vanished object is an outcome to report; any other error propagates for a retry. */
function unusable<T>(error: unknown, input: TrackingInput, object: S3Location, malformedWarning: string): Read<T> {
  if (isObjectGone(error)) {
    logger.warn('Output object is gone', { ...ids(input), ...object });
    return { value: null, gone: object };
  }
  if (!(error instanceof MalformedOutputError)) {
    throw error;
  }
  logger.warn(malformedWarning, { ...ids(input), ...object, reason: error.message });
  return { value: null };
}

function ids(input: TrackingInput) {
  return { jobId: input.jobId, token: input.token };
}
