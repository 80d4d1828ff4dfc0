import type { S3Client } from '@aws-sdk/client-s3';

import { openObject } from '../../common/job-results';

import { MalformedFileError, readJsonLines, textLines } from '../per-image-s3';

import type { BatchOutput, ImageItem, LineError, LineResult } from '../../../lib/per-image/per-image-workflow-contract';
import { type S3Location } from '../../../lib/common/contract/s3-location';

/**
 * Reads what a Distributed Map's ResultWriter exported (documented in the Step Functions
 * developer guide, "ResultWriter"): a manifest.json
 *   {"DestinationBucket", "MapRunArn", "ResultFiles": {"SUCCEEDED": [{"Key", "Size"}], "FAILED": [...], "PENDING": [...]}}
 * and result files holding one record per child execution, as a JSON array (OutputType JSON) or
 * one per line (JSONL). A succeeded child's record is its output (Transformation COMPACT) or,
 * with NONE, {"Status": "SUCCEEDED", "Output": "<json string>", ...}; a failed child's record is
 * always the NONE form: {"Status", "Input": "<json string>", "Error", "Cause", ...}.
 */

/** What one child execution (one batch) left. */
export type BatchRecord =
  | { kind: 'output'; output: BatchOutput }
  /** The batch failed as a whole: its lines (when its input is in the record) get `failure` to retry. */
  | { kind: 'failed'; items: ImageItem[] | null; failure: LineError }
  | { kind: 'unknown'; reason: string };

interface ResultWriterManifest {
  DestinationBucket?: string;
  ResultFiles?: Record<string, Array<{ Key?: string }> | undefined>;
}

/** The result files a manifest.json lists, every status. */
export async function resultFiles(s3: S3Client, manifest: S3Location): Promise<S3Location[]> {
  let document: ResultWriterManifest;
  const text = await readAll(s3, manifest);
  try {
    document = JSON.parse(text) as ResultWriterManifest;
  } catch {
    throw new MalformedFileError(`s3://${manifest.bucket}/${manifest.key} is not JSON`);
  }
  const bucket = document.DestinationBucket || manifest.bucket;
  return Object.values(document.ResultFiles ?? {})
    .flatMap((files) => (Array.isArray(files) ? files : []))
    .flatMap((file) => (typeof file?.Key === 'string' ? [{ bucket, key: file.Key }] : []));
}

/** The records of one result file, streaming when it is JSON Lines. */
export async function* readResultFile(s3: S3Client, file: S3Location): AsyncGenerator<BatchRecord> {
  let arrayText: string[] | undefined;
  for await (const line of textLines(await openObject(s3, file))) {
    if (arrayText === undefined && line.trimStart().startsWith('[')) {
      arrayText = [];
    }
    if (arrayText !== undefined) {
      arrayText.push(line);
      continue;
    }
    yield interpretRecord(parse(line, file));
  }
  if (arrayText !== undefined) {
    const records = parse(arrayText.join('\n'), file);
    if (!Array.isArray(records)) throw new MalformedFileError(`s3://${file.bucket}/${file.key} is not a JSON array`);
    for (const record of records) yield interpretRecord(record);
  }
}

/** The line results a batch output carries, reading a spilled one from S3. */
export async function* batchLineResults(s3: S3Client, output: BatchOutput): AsyncGenerator<LineResult> {
  if ('results' in output) {
    yield* output.results;
  } else {
    yield* readJsonLines<LineResult>(s3, output.spilled);
  }
}

export function interpretRecord(record: unknown): BatchRecord {
  if (typeof record === 'string') {
    return interpretRecord(parseLoose(record));
  }
  if (isBatchOutput(record)) {
    return { kind: 'output', output: record };
  }
  if (!isRecord(record) || typeof record.Status !== 'string') {
    return { kind: 'unknown', reason: 'neither a batch output nor a child execution record' };
  }
  if (record.Status === 'SUCCEEDED') {
    const output = typeof record.Output === 'string' ? parseLoose(record.Output) : record.Output;
    return isBatchOutput(output)
      ? { kind: 'output', output }
      : { kind: 'unknown', reason: 'a succeeded child execution without a batch output' };
  }
  const input = typeof record.Input === 'string' ? parseLoose(record.Input) : record.Input;
  const items = isRecord(input) && Array.isArray(input.Items) ? (input.Items as ImageItem[]).filter(isItem) : null;
  const error = typeof record.Error === 'string' && record.Error !== '' ? record.Error : record.Status;
  const cause = typeof record.Cause === 'string' ? record.Cause : '';
  return { kind: 'failed', items, failure: { code: 'BATCH_FAILED', message: clip(`${error}${cause ? `: ${cause}` : ''}`, 1000) } };
}

function isBatchOutput(value: unknown): value is BatchOutput {
  return isRecord(value) && (Array.isArray(value.results) || (isRecord(value.spilled) && typeof value.spilled.key === 'string'));
}

function isItem(value: unknown): value is ImageItem {
  return isRecord(value) && Number.isInteger(value.line);
}

function parse(text: string, file: S3Location): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedFileError(`s3://${file.bucket}/${file.key} holds a record that is not JSON`);
  }
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readAll(s3: S3Client, location: S3Location): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openObject(s3, location)) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
