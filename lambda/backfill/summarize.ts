import type { S3Client } from '@aws-sdk/client-s3';
import { addProgress, EMPTY_PROGRESS, type BackfillProgress, type SummarizeInput } from '../../lib/backfill/backfill-contract';
import { openObject } from '../common/job-results';
import { MalformedFileError, textLines } from '../per-image/per-image-s3';

/**
 * Adds up every batch's progress from what the Distributed Map's ResultWriter exported
 * (manifest.json listing result files by status; with Transformation COMPACT a SUCCEEDED file
 * holds the children's outputs, as a JSON array with OutputType JSON, one a line with JSONL).
 * The Map tolerates no failed batch, so only SUCCEEDED files count; a redriven Map Run lists the
 * batches of every attempt once.
 */
export async function summarizeRun(s3: S3Client, input: SummarizeInput): Promise<BackfillProgress & { readonly batches: number }> {
  const manifest = { bucket: input.ResultWriterDetails.Bucket, key: input.ResultWriterDetails.Key };
  const document = JSON.parse(await readText(s3, manifest)) as { DestinationBucket?: string; ResultFiles?: { SUCCEEDED?: Array<{ Key?: string }> } };
  const bucket = document.DestinationBucket || manifest.bucket;
  let total = EMPTY_PROGRESS;
  let batches = 0;
  for (const file of document.ResultFiles?.SUCCEEDED ?? []) {
    if (typeof file.Key !== 'string') continue;
    for (const record of parseRecords(await readText(s3, { bucket, key: file.Key }), file.Key)) {
      total = addProgress(total, batchOutput(record));
      batches += 1;
    }
  }
  return { ...total, batches };
}

/** The records of a result file: a JSON array, or JSON Lines. */
function parseRecords(text: string, key: string): unknown[] {
  try {
    if (text.trimStart().startsWith('[')) return JSON.parse(text) as unknown[];
    return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as unknown);
  } catch {
    throw new MalformedFileError(`Map results file ${key} is neither a JSON array nor JSON Lines`);
  }
}

/** A child's output; with Transformation NONE a record wraps it as a string. */
function batchOutput(record: unknown): Partial<BackfillProgress> {
  const output = typeof record === 'object' && record !== null && typeof (record as { Output?: unknown }).Output === 'string'
    ? parseLoose((record as { Output: string }).Output)
    : record;
  return typeof output === 'object' && output !== null ? output as Partial<BackfillProgress> : {};
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readText(s3: S3Client, location: { bucket: string; key: string }): Promise<string> {
  const lines: string[] = [];
  for await (const line of textLines(await openObject(s3, location))) lines.push(line);
  return lines.join('\n');
}
