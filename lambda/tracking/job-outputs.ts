import { S3Client } from '@aws-sdk/client-s3';

import { TrackerEnvironment } from '../../lib/tracking/tracking-contract';

import { MalformedOutputError, openObject, readManifestSummary, scanResults } from '../common/job-results';

import { log } from '../common/log';

import type { ManifestStatistics, ModerationStatistics, TrackingInput } from './tracking-types';

import { JsonLinesWriter } from '../common/jsonl-writer';
import { type S3Location } from '../../lib/common/contract/s3-location';


// Loaded with import() once a job has finished, so polls never load the S3 SDK. One client per
// container. Test-only: S3_FORCE_PATH_STYLE=true lets a local S3 server (s3rver) stand in for S3.
const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });

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
}

export function flaggedListKey(prefix: string): string {
  const folder = prefix.replace(/\/+$/, '');
  return folder === '' ? FLAGGED_LIST_NAME : `${folder}/${FLAGGED_LIST_NAME}`;
}

/**
 * Reads the summary and results a finished job left and writes its flagged-images list. Throttling
 * and other S3 errors propagate (the workflow retries); a malformed object yields nulls and a WARN.
 */
export async function readJobOutputs(input: TrackingInput, job: FinishedJobOutputs): Promise<JobOutputsReport> {
  const statistics = job.summary ? await readSummaryOrNull(input, job.summary) : null;
  if (!job.results) {
    return { statistics, moderation: null, flaggedImages: null };
  }
  const flaggedImages = { bucket: input.output.bucket, key: flaggedListKey(input.output.prefix) };
  const moderation = await tallyResults(input, job.results, flaggedImages, job.minConfidence);
  return { statistics, moderation, flaggedImages: moderation ? flaggedImages : null };
}

async function readSummaryOrNull(input: TrackingInput, summary: S3Location): Promise<ManifestStatistics | null> {
  try {
    return await readManifestSummary(s3, summary);
  } catch (error) {
    if (!(error instanceof MalformedOutputError)) {
      throw error;
    }
    log('WARN', 'Manifest summary is malformed; the event reports no statistics', { ...ids(input), ...summary, reason: error.message });
    return null;
  }
}

async function tallyResults(
  input: TrackingInput,
  results: S3Location,
  flaggedList: S3Location,
  minConfidence: number,
): Promise<ModerationStatistics | null> {
  let body;
  try {
    body = await openObject(s3, results);
  } catch (error) {
    if (!(error instanceof MalformedOutputError)) {
      throw error;
    }
    log('WARN', 'Results object is unreadable; the event reports no moderation', { ...ids(input), ...results, reason: error.message });
    return null;
  }

  const writer = new JsonLinesWriter(s3, { ...flaggedList, kmsKeyId: process.env[TrackerEnvironment.KMS_KEY_ID] || undefined });
  try {
    const { moderation, firstUnreadable } = await scanResults(body, minConfidence, (image) => writer.write(image));
    await writer.close();
    if (firstUnreadable) {
      log('WARN', 'Some result lines are unreadable; their images are not counted', {
        ...ids(input),
        ...results,
        unreadableLines: moderation.unreadableLines,
        firstUnreadableLine: firstUnreadable.lineNumber,
        reason: firstUnreadable.reason,
      });
    }
    return moderation;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function ids(input: TrackingInput) {
  return { jobId: input.jobId, token: input.token };
}
