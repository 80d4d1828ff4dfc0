import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { MAX_BATCH_INPUT_BYTES, ObjectSource, type BackfillBatch, type ListedObject } from '../../../lib/backfill/backfill-contract';
import { writeResultWriterOutput } from '../per-image/result-writer-files';

/**
 * The backfill's Distributed Map, played as its ASL says (aws-local-stepfunctions cannot run an
 * ItemReader): ListObjectsV2 pages -> the ItemSelector (Key, Size, ETag) -> the ItemBatcher ->
 * the writer per batch -> the ResultWriter's files -> the summarizer.
 */

/**
 * The ItemReader (every object of the prefix, in key order) and the ItemSelector. Paged with
 * ListObjects' Marker: s3rver's ListObjectsV2 continuation tokens use DES, which Node 20's
 * OpenSSL 3 refuses, so a truncated V2 listing fails there. The pages are the same.
 */
export async function listItems(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const items: ListedObject[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }));
    const contents = page.Contents ?? [];
    items.push(...contents.map((object) => ({ Key: object.Key!, Size: object.Size!, ETag: object.ETag! })));
    if (!page.IsTruncated || contents.length === 0) return items;
    marker = contents[contents.length - 1].Key;
  }
}

/** The ItemBatcher: items in order, a batch closed at `maxItems` or before passing MaxInputBytesPerBatch. */
export function itemBatches(items: ListedObject[], maxItems: number): BackfillBatch[] {
  const result: BackfillBatch[] = [];
  let current: ListedObject[] = [];
  const size = (batch: ListedObject[]) => Buffer.byteLength(JSON.stringify({ Items: batch, BatchInput: { source: ObjectSource.LIST } }));
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || size([...current, item]) > MAX_BATCH_INPUT_BYTES)) {
      result.push({ Items: current, BatchInput: { source: ObjectSource.LIST } });
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) result.push({ Items: current, BatchInput: { source: ObjectSource.LIST } });
  return result;
}

export interface BackfillMapOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly maxItems: number;
  /** The bucket and folder the ResultWriter exports to. */
  readonly resultBucket: string;
  readonly resultPrefix: string;
  readonly writer: { invoke(event: unknown): Promise<any> };
  readonly summarizer: { invoke(event: unknown): Promise<any> };
}

/** One run of the workflow: list, write every batch, export the Map's results, add them up. */
export async function runBackfillMap(options: BackfillMapOptions, runId: string): Promise<{ batches: BackfillBatch[]; outputs: any[]; summary: any }> {
  const batches = itemBatches(await listItems(options.s3, options.bucket, options.prefix), options.maxItems);
  const outputs = [];
  for (const batch of batches) outputs.push(await options.writer.invoke(batch));
  const details = await writeResultWriterOutput(options.s3, outputs.map((output, index) => ({ input: batches[index], status: 'SUCCEEDED' as const, output })), {
    bucket: options.resultBucket, prefix: options.resultPrefix, mapRunId: runId, outputType: 'JSON',
  });
  const summary = await options.summarizer.invoke({ ResultWriterDetails: details });
  return { batches, outputs, summary };
}
