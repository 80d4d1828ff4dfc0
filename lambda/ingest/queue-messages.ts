import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { log } from '../common/log';
import type { QueueMessage } from './image-events';
import { inParallel } from './in-parallel';

/** ReceiveMessage loops running at once while filling a batch. */
const RECEIVERS = 8;
/** SQS's most messages per ReceiveMessage and per DeleteMessageBatch. */
const SQS_BATCH = 10;

/**
 * Up to `wanted` more messages from the queue, received by the batcher itself: the event source
 * hands over at most 6 MB (a few thousand events) per invocation, a manifest takes 10,000. Each
 * receiver stops at its first empty answer (a short poll; the rest waits for the next batch).
 */
export async function receiveMore(sqs: SQSClient, queueUrl: string, wanted: number): Promise<QueueMessage[]> {
  const received: QueueMessage[] = [];
  // Messages asked for but not answered yet: the receivers together never ask for more than wanted.
  let asked = 0;
  const receiver = async () => {
    for (;;) {
      const ask = Math.min(SQS_BATCH, wanted - received.length - asked);
      if (ask <= 0) return;
      asked += ask;
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: ask, WaitTimeSeconds: 0 }));
      asked -= ask;
      const messages = answer.Messages ?? [];
      for (const message of messages) {
        if (message.MessageId && message.ReceiptHandle && message.Body !== undefined) {
          received.push({ messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body });
        }
      }
      if (messages.length === 0) return;
    }
  };
  await Promise.all(Array.from({ length: RECEIVERS }, receiver));
  return received;
}

/**
 * Deletes the messages the batcher received itself (the event source deletes its own records when
 * the invocation succeeds). A message not deleted comes back and is batched again; returns how many.
 */
export async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly QueueMessage[]): Promise<number> {
  const groups: QueueMessage[][] = [];
  for (let start = 0; start < messages.length; start += SQS_BATCH) groups.push(messages.slice(start, start + SQS_BATCH));
  const failed = await inParallel(groups, RECEIVERS, async (group) => {
    try {
      const answer = await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: group.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })),
      }));
      return answer.Failed?.length ?? 0;
    } catch (error) {
      log('WARN', 'messages not deleted: they come back and are batched again', { count: group.length, error: String(error) });
      return group.length;
    }
  });
  return failed.reduce((sum, count) => sum + count, 0);
}
