import type { S3Client } from '@aws-sdk/client-s3';

import { logger } from '../../common/log';

import { itemsPerBatch } from '../per-image-batching';

import { perImageKeys } from '../per-image-keys';

import { JsonLinesWriter } from '../../common/jsonl-writer';

import { putJson, readJsonLines } from '../per-image-s3';

import type { FinalizeInput, FinalizeOutput, ImageItem, InvalidLine, JobDescription, LineError } from '../../../lib/per-image/per-image-workflow-contract';
import {
  imageError,
  imageOutputLine,
  INVALID_OUTPUT_LINE,
  invalidLineError,
  type ManifestSummary,
  mergeByLine,
  type SummaryError,
} from './bulk-output';

import { LineOutcomes } from './line-outcomes';

import { batchLineResults, readResultFile, resultFiles } from './map-results';
import { type S3Location } from '../../../lib/common/contract/s3-location';
import { type BatchingSettings, DEFAULT_BATCHING, type FinalizeSettings } from '../../../lib/per-image/per-image-contract';


/** The handler's settings (the Map's MaxConcurrency and batch size limit size a new round's batches), and a clock. */
export interface FinalizeOptions extends Omit<FinalizeSettings, keyof BatchingSettings>, Partial<BatchingSettings> {
  now?: () => Date;
}

/** Seconds before round n (n >= 2) starts: throttling storms and lost batches get time to pass. */
export function waitBeforeRound(round: number): number {
  return 60 * (round - 1);
}

export const FAILURE_SHARE_EXCEEDED = 'FAILURE_SHARE_EXCEEDED';

/**
 * After each round of the Distributed Map: collects every round's results; lines without a
 * final outcome (throttled past a batch's deadline, lost with a failed batch) go to another
 * round while rounds remain. Then writes the output manifest (one line per manifest line, in
 * manifest order) and the summary in the bulk format, and describes the job as
 * GetMediaAnalysisJob would.
 */
export async function finalize(input: FinalizeInput, s3: S3Client, options: FinalizeOptions): Promise<FinalizeOutput> {
  const now = options.now ?? (() => new Date());
  const mapResults = [...input.work.mapResults, ...resultWriterManifest(input)];
  const outcomes = await collectOutcomes(s3, mapResults);
  const { prepared, output } = input;

  if (input.work.round < options.maxRounds) {
    const round = input.work.round + 1;
    const retry = { bucket: output.bucket, key: perImageKeys(output.prefix).retryItems(round) };
    const pendingLines = await writePending(s3, prepared.items, outcomes, { ...retry, kmsKeyId: options.kmsKeyId });
    if (pendingLines > 0) {
      logger.warn('lines left for another round', { token: input.token, round, pendingLines });
      const batch = itemsPerBatch(pendingLines,
        options.mapConcurrency ?? DEFAULT_BATCHING.mapConcurrency, options.maxItemsPerBatch ?? DEFAULT_BATCHING.maxItemsPerBatch);
      return { done: false, pendingLines, work: { round, items: retry, mapResults, waitSeconds: waitBeforeRound(round), itemsPerBatch: batch } };
    }
  }

  const keys = perImageKeys(output.prefix);
  const results = { bucket: output.bucket, key: keys.results };
  const summaryLocation = { bucket: output.bucket, key: keys.summary };
  const written = await writeOutputs(s3, input, outcomes, results, summaryLocation, options.kmsKeyId);
  const description: JobDescription = {
    JobId: input.executionArn,
    Status: 'SUCCEEDED',
    CreationTimestamp: input.startedAt,
    CompletionTimestamp: now().toISOString(),
    Results: { S3Object: { Bucket: results.bucket, Name: results.key } },
    ManifestSummary: { S3Object: { Bucket: summaryLocation.bucket, Name: summaryLocation.key } },
  };
  const judged = written.judgedLines;
  const share = judged === 0 ? 0 : written.failedLines / judged;
  if (share > options.maxFailureShare) {
    description.Status = 'FAILED';
    description.FailureDetails = {
      Code: FAILURE_SHARE_EXCEEDED,
      Message: `${written.failedLines} of ${judged} non-blank manifest lines failed (${percent(share)}), more than the allowed ${percent(options.maxFailureShare)}; see the manifest summary.`,
    };
  }
  logger.info('job finished', { token: input.token, status: description.Status, rounds: input.work.round, ...written });
  return { done: true, jobDescription: description };
}

function resultWriterManifest(input: FinalizeInput): S3Location[] {
  const details = input.mapRun?.ResultWriterDetails;
  return details?.Bucket && details.Key ? [{ bucket: details.Bucket, key: details.Key }] : [];
}

async function collectOutcomes(s3: S3Client, manifests: S3Location[]): Promise<LineOutcomes> {
  const outcomes = new LineOutcomes();
  let unknownRecords = 0;
  for (const manifest of manifests) {
    for (const file of await resultFiles(s3, manifest)) {
      for await (const record of readResultFile(s3, file)) {
        if (record.kind === 'output') {
          for await (const result of batchLineResults(s3, record.output)) outcomes.add(result);
        } else if (record.kind === 'failed') {
          for (const item of record.items ?? []) outcomes.addBatchFailure(item.line, record.failure);
        } else {
          unknownRecords += 1;
        }
      }
    }
  }
  if (unknownRecords > 0) {
    logger.warn('some Map result records were not understood; their lines count as not processed', { unknownRecords });
  }
  return outcomes;
}

/** Writes the image lines without a final outcome as the next round's items; returns how many. */
async function writePending(s3: S3Client, items: S3Location, outcomes: LineOutcomes, target: S3Location & { kmsKeyId?: string }): Promise<number> {
  const writer = new JsonLinesWriter(s3, target);
  try {
    for await (const item of readJsonLines<ImageItem>(s3, items)) {
      const outcome = outcomes.get(item.line);
      if (outcome === undefined || outcome.kind === 'pending') await writer.write(item);
    }
    if (writer.lines > 0) await writer.close();
    return writer.lines;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

interface WrittenOutputs {
  totalLines: number;
  analyzedLines: number;
  failedImageLines: number;
  invalidLines: number;
  blankLines: number;
  /** Lines that count for the failure share: all but blank ones. */
  judgedLines: number;
  failedLines: number;
}

const NO_RESULT: LineError = { code: 'NOT_PROCESSED', message: 'No result was recorded for this image in any round.' };

async function writeOutputs(
  s3: S3Client,
  input: FinalizeInput,
  outcomes: LineOutcomes,
  results: S3Location,
  summaryLocation: S3Location,
  kmsKeyId: string | undefined,
): Promise<WrittenOutputs> {
  const { prepared } = input;
  const errors: SummaryError[] = [];
  const counts = { totalLines: 0, analyzedLines: 0, failedImageLines: 0, invalidLines: 0, blankLines: 0 };
  const writer = new JsonLinesWriter(s3, { ...results, kmsKeyId });
  try {
    const lines = mergeByLine(readJsonLines<ImageItem>(s3, prepared.items), readJsonLines<InvalidLine>(s3, prepared.invalid));
    for await (const entry of lines) {
      counts.totalLines += 1;
      if (entry.side === 'right') {
        counts.invalidLines += 1;
        if (entry.value.code === 'EMPTY_LINE') counts.blankLines += 1;
        errors.push(invalidLineError(entry.value));
        await writer.write(INVALID_OUTPUT_LINE);
        continue;
      }
      const item = entry.value;
      const outcome = outcomes.get(item.line);
      if (outcome?.kind === 'analyzed') {
        counts.analyzedLines += 1;
      } else {
        counts.failedImageLines += 1;
        errors.push(imageError(item, outcome?.error ?? NO_RESULT));
      }
      await writer.write(imageOutputLine(item, outcome));
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const summary: ManifestSummary = {
    version: '1.0',
    statistics: {
      'total-json-lines': counts.totalLines,
      'valid-json-lines': counts.totalLines - counts.invalidLines,
      'invalid-json-lines': counts.invalidLines,
    },
    errors,
  };
  await putJson(s3, summaryLocation, summary, kmsKeyId);
  const judgedLines = counts.totalLines - counts.blankLines;
  return { ...counts, judgedLines, failedLines: counts.failedImageLines + counts.invalidLines - counts.blankLines };
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
