import type { S3Client } from '@aws-sdk/client-s3';
import { getText } from './s3';
import { readPath, resolvePayload } from './json-path';
import { ChildExecution, ResultWriterDetails, writeResultWriterOutput } from './result-writer-files';

/**
 * What aws-local-stepfunctions cannot run of a Distributed Map state, done by the test from the
 * state's own ASL: ItemReader (JSONL from S3, path parameters resolved on the state input),
 * ItemBatcher (MaxItemsPerBatch or MaxItemsPerBatchPath, BatchInput), MaxConcurrency, ToleratedFailurePercentage and
 * ResultWriter (the documented export, with the state's WriterConfig). Each batch is handed to
 * `runChild`, which runs the ItemProcessor; a thrown error is a failed child execution.
 */
export interface MapRun {
  readonly details: { MapRunArn: string; ResultWriterDetails: ResultWriterDetails };
  readonly batches: number;
  readonly failedChildren: number;
  /** Most children that ran at once. */
  readonly peakConcurrency: number;
}

export interface EmulatorOptions {
  readonly s3: S3Client;
  readonly runChild: (batch: { Items: unknown[]; BatchInput: unknown }, index: number) => Promise<unknown>;
  readonly mapRunId: string;
}

export async function emulateDistributedMap(state: any, input: unknown, options: EmulatorOptions): Promise<MapRun> {
  if (state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') throw new Error('not a Distributed Map state');
  const reader = state.ItemReader;
  if (reader?.ReaderConfig?.InputType !== 'JSONL') throw new Error(`unsupported ItemReader ${JSON.stringify(reader?.ReaderConfig)}`);
  const source = resolvePayload(reader.Parameters, input) as { Bucket: string; Key: string };
  const items = (await getText(options.s3, source.Bucket, source.Key)).split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));

  const batcher = state.ItemBatcher ?? {};
  const size = Number(batcher.MaxItemsPerBatch ?? (batcher.MaxItemsPerBatchPath ? readPath(batcher.MaxItemsPerBatchPath, input) : 1));
  if (!Number.isInteger(size) || size < 1) throw Object.assign(new Error(`MaxItemsPerBatch is ${size}`), { name: 'States.Runtime' });
  const batchInput = state.ItemBatcher?.BatchInput ? resolvePayload(state.ItemBatcher.BatchInput, input) : undefined;
  const batches: Array<{ Items: unknown[]; BatchInput: unknown }> = [];
  for (let i = 0; i < items.length; i += size) batches.push({ Items: items.slice(i, i + size), BatchInput: batchInput });

  const executions: ChildExecution[] = new Array(batches.length);
  let next = 0;
  let running = 0;
  let peakConcurrency = 0;
  const worker = async () => {
    while (next < batches.length) {
      const index = next++;
      running += 1;
      peakConcurrency = Math.max(peakConcurrency, running);
      try {
        executions[index] = { input: batches[index], status: 'SUCCEEDED', output: await options.runChild(batches[index], index) };
      } catch (error) {
        const { name, message } = error as Error;
        executions[index] = { input: batches[index], status: 'FAILED', error: name, cause: message };
      } finally {
        running -= 1;
      }
    }
  };
  const concurrency = state.MaxConcurrency || batches.length || 1;
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, batches.length)) }, worker));

  const writer = state.ResultWriter;
  const prefix = readPath(writer.Parameters['Prefix.$'] ?? '$.__none__', input) as string;
  const details = await writeResultWriterOutput(options.s3, executions, {
    bucket: writer.Parameters.Bucket,
    prefix,
    mapRunId: options.mapRunId,
    outputType: writer.WriterConfig?.OutputType ?? 'JSON',
    transformation: writer.WriterConfig?.Transformation ?? 'NONE',
  });
  const failedChildren = executions.filter((execution) => execution.status !== 'SUCCEEDED').length;
  const tolerated = state.ToleratedFailurePercentage ?? 0;
  if (batches.length > 0 && (failedChildren / batches.length) * 100 > tolerated) {
    throw Object.assign(new Error(`${failedChildren} of ${batches.length} child executions failed`), { name: 'States.ExceedToleratedFailureThreshold' });
  }
  return {
    details: { MapRunArn: `arn:aws:states:us-east-1:111122223333:mapRun:PerImage/Images:${options.mapRunId}`, ResultWriterDetails: details },
    batches: batches.length,
    failedChildren,
    peakConcurrency,
  };
}
