import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { startJsonProtocolDouble, type JsonProtocolDouble } from '../json-protocol-double';
import type { LocalQueue } from './local-queue';

/** Lambda's cap on an invocation's payload: what bounds a batch of S3 event messages. */
export const EVENT_SOURCE_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/**
 * The SQS calls the ingest batcher makes itself (it fills its batch from the queue, then deletes
 * what it read), over a local queue.
 */
export function startBatcherSqsDouble(queue: LocalQueue): Promise<JsonProtocolDouble> {
  return startJsonProtocolDouble({
    'AmazonSQS.ReceiveMessage': (body) => ({
      Messages: queue.receive(body.MaxNumberOfMessages ?? 1).map((record) => ({
        MessageId: record.messageId, ReceiptHandle: record.receiptHandle, Body: record.body, MD5OfBody: createHash('md5').update(record.body).digest('hex'),
      })),
    }),
    'AmazonSQS.DeleteMessageBatch': (body) => {
      const records = body.Entries.map((entry: { ReceiptHandle: string }) => ({ messageId: entry.ReceiptHandle.split('/receipt-')[0], receiptHandle: entry.ReceiptHandle }));
      queue.settle(records as SQSRecord[], { batchItemFailures: [] });
      return { Successful: body.Entries.map((entry: { Id: string }) => ({ Id: entry.Id })), Failed: [] };
    },
  });
}

/** What the event source hands one invocation: visible records up to `max` and the 6 MB payload. */
export function eventSourceBatch(queue: LocalQueue, max: number): SQSRecord[] {
  const records: SQSRecord[] = [];
  let bytes = 0;
  while (records.length < max) {
    const [record] = queue.receive(1);
    if (!record) break;
    records.push(record);
    bytes += JSON.stringify(record).length;
    if (bytes > EVENT_SOURCE_PAYLOAD_LIMIT - 4096) break;
  }
  return records;
}

/** Invokes the batcher until the queue has nothing visible, settling each batch as Lambda would; returns the replies. */
export async function drainToBatcher(queue: LocalQueue, batcher: { invoke(event: unknown): Promise<any> }, max: number): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let records = eventSourceBatch(queue, max); records.length > 0; records = eventSourceBatch(queue, max)) {
    const reply = await batcher.invoke({ Records: records });
    queue.settle(records, reply?.error ? undefined : { batchItemFailures: [] });
    replies.push(reply);
  }
  return replies;
}
