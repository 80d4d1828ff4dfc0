import type { SQSRecord } from 'aws-lambda';
import { BacklogLog } from '../../lib/trigger/backlog-contract';
import { errorCode } from '../common/errors';
import { lazySqs } from '../common/lazy-clients';
import { log } from '../common/log';
import type { BacklogQueue } from './backlog/backlog-queue';
import type { Disposition } from './outcome';
import { queueUrlFromArn } from './queue-url';

/** SQS caps each message attribute at the message's size limit; the reason need not be longer. */
const MAX_ERROR_MESSAGE = 1000;

/** Carries out a record's disposition on SQS. Returns true when the record must be reported failed. */
export async function settleRecord(record: SQSRecord, disposition: Disposition, deadLetterQueueUrl?: string, backlog?: BacklogQueue): Promise<boolean> {
  const fields = { messageId: record.messageId };
  switch (disposition.action) {
    case 'ack':
      return false;
    case 'retry':
      log('WARN', 'message will be retried', { ...fields, outcome: 'retry', errorCode: disposition.errorCode });
      return true;
    case 'park':
      if (backlog !== undefined) {
        try {
          await backlog.park(record.body, record.messageId);
          log('INFO', BacklogLog.PARKED, { ...fields, outcome: 'parked' });
          return false;
        } catch (error) {
          log('WARN', 'could not park the manifest in the backlog; it is retried on the manifest queue', { ...fields, errorCode: errorCode(error), error: String(error) });
        }
      }
      return delay(record, disposition.delaySeconds, fields);
    case 'delay':
      return delay(record, disposition.delaySeconds, fields);
    case 'dead-letter':
      if (deadLetterQueueUrl === undefined) {
        return true;
      }
      try {
        const { sdk, client } = await lazySqs();
        await client.send(new sdk.SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: record.body,
          MessageAttributes: {
            ErrorCode: { DataType: 'String', StringValue: disposition.errorCode },
            ErrorMessage: { DataType: 'String', StringValue: disposition.message.slice(0, MAX_ERROR_MESSAGE) || '(none)' },
            SourceMessageId: { DataType: 'String', StringValue: record.messageId },
          },
        }));
      } catch (error) {
        log('WARN', 'could not forward to the dead-letter queue; the message will be retried', { ...fields, outcome: 'retry', errorCode: errorCode(error), error: String(error) });
        return true;
      }
      log('ERROR', 'message forwarded to the dead-letter queue', { ...fields, outcome: 'forwarded-to-dlq', errorCode: disposition.errorCode });
      return false;
  }
}

/** Hides the message for `seconds` and reports it failed, so SQS delivers it again after them. */
async function delay(record: SQSRecord, seconds: number, fields: Record<string, unknown>): Promise<boolean> {
  try {
    const { sdk, client } = await lazySqs();
    await client.send(new sdk.ChangeMessageVisibilityCommand({
      QueueUrl: queueUrlFromArn(record.eventSourceARN),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: seconds,
    }));
  } catch (error) {
    log('WARN', 'could not delay the retry; the queue visibility timeout applies', { ...fields, errorCode: errorCode(error), error: String(error) });
  }
  return true;
}
