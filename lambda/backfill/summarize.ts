import type { S3Client } from '@aws-sdk/client-s3';
import { addProgress, EMPTY_PROGRESS, type BackfillProgress, type SummarizeInput } from '../../lib/backfill/backfill-contract';
import { openObject } from '../common/job-results';
import { MalformedFileError, textLines } from '../per-image/per-image-s3';

/**
 * Adds up every batch's progress from what the Distributed Map's ResultWriter exported
 * (manifest.json listing result files by status; with OutputType JSONL and Transformation COMPACT
 * each line of a SUCCEEDED file is one child's output). The Map tolerates no failed batch, so
 * only SUCCEEDED files count; a redriven Map Run lists the batches of every attempt once.
 */
export async function summarizeRun(s3: S3Client, input: SummarizeInput): Promise<BackfillProgress & { readonly batches: number }> {
  const manifest = { bucket: input.ResultWriterDetails.Bucket, key: input.ResultWriterDetails.Key };
  const document = JSON.parse(await readText(s3, manifest)) as { DestinationBucket?: string; ResultFiles?: { SUCCEEDED?: Array<{ Key?: string }> } };
  const bucket = document.DestinationBucket || manifest.bucket;
  let total = EMPTY_PROGRESS;
  let batches = 0;
  for (const file of document.ResultFiles?.SUCCEEDED ?? []) {
    if (typeof file.Key !== 'string') continue;
    for await (const line of textLines(await openObject(s3, { bucket, key: file.Key }))) {
      if (line.trim() === '') continue;
      total = addProgress(total, parseBatchOutput(line, file.Key));
      batches += 1;
    }
  }
  return { ...total, batches };
}

function parseBatchOutput(line: string, key: string): Partial<BackfillProgress> {
  try {
    const value = JSON.parse(line) as unknown;
    // With Transformation NONE a record wraps the output as a string.
    const output = typeof value === 'object' && value !== null && typeof (value as { Output?: unknown }).Output === 'string'
      ? JSON.parse((value as { Output: string }).Output) as unknown
      : value;
    return typeof output === 'object' && output !== null ? output as Partial<BackfillProgress> : {};
  } catch {
    throw new MalformedFileError(`a line of Map results file ${key} is not JSON`);
  }
}

async function readText(s3: S3Client, location: { bucket: string; key: string }): Promise<string> {
  const lines: string[] = [];
  for await (const line of textLines(await openObject(s3, location))) lines.push(line);
  return lines.join('\n');
}
