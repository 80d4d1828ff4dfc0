import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** Anything with a simulated `now()` (the Rekognition double's clock). */
export interface Clock {
  now(): number;
}

export interface LocalQueueOptions {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly clock: Clock;
  readonly visibilityTimeoutSeconds: number;
  /** Redrive: a message received more often than this moves to `deadLetterQueue` instead. */
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: LocalQueue;
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly messageAttributes: Record<string, { DataType: string; StringValue?: string }>;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
  /** Visibility timeouts set with ChangeMessageVisibility, in order. */
  readonly visibilityChanges: number[];
}

/**
 * An SQS queue on simulated time, with the semantics the trigger depends on: receives count up,
 * a received message hides for the visibility timeout (or what ChangeMessageVisibility sets), the
 * Lambda event source deletes every record not reported in batchItemFailures, and a message
 * received more than maxReceiveCount times moves to the dead-letter queue on its next receive.
 */
export class LocalQueue {
  readonly messages: QueuedMessage[] = [];
  /** Messages deleted after a successful batch, in order. */
  readonly deleted: QueuedMessage[] = [];
  private sequence = 0;

  constructor(public readonly options: LocalQueueOptions) {}

  send(body: string, messageAttributes: QueuedMessage['messageAttributes'] = {}): QueuedMessage {
    const message: QueuedMessage = {
      messageId: `${this.options.name}-${++this.sequence}`,
      body,
      attributes: { SentTimestamp: String(this.options.clock.now()) },
      messageAttributes,
      receiveCount: 0,
      visibleAt: this.options.clock.now(),
      visibilityChanges: [],
    };
    this.messages.push(message);
    return message;
  }

  /** Up to `max` visible messages as Lambda's SQS records; redrives the ones past maxReceiveCount. */
  receive(max: number, visibilityTimeoutSeconds = this.options.visibilityTimeoutSeconds): SQSRecord[] {
    const now = this.options.clock.now();
    const records: SQSRecord[] = [];
    for (const message of [...this.messages]) {
      if (records.length >= max) break;
      if (message.visibleAt > now) continue;
      const { maxReceiveCount, deadLetterQueue } = this.options;
      if (maxReceiveCount !== undefined && deadLetterQueue && message.receiveCount >= maxReceiveCount) {
        this.remove(message);
        deadLetterQueue.send(message.body, message.messageAttributes);
        continue;
      }
      message.receiveCount += 1;
      message.receiptHandle = `${message.messageId}/receipt-${message.receiveCount}`;
      message.visibleAt = now + visibilityTimeoutSeconds * 1000;
      records.push(this.asRecord(message));
    }
    return records;
  }

  /** What the Lambda event source does with a batch's response. */
  settle(records: readonly SQSRecord[], response: SQSBatchResponse | undefined): void {
    const failed = new Set((response?.batchItemFailures ?? []).map((item) => item.itemIdentifier));
    // A response that is not a batch response (the function threw) fails every record.
    const all = response === undefined || !Array.isArray(response.batchItemFailures);
    for (const record of records) {
      if (all || failed.has(record.messageId)) continue;
      const message = this.messages.find((candidate) => candidate.messageId === record.messageId);
      if (message && message.receiptHandle === record.receiptHandle) {
        this.remove(message);
        this.deleted.push(message);
      }
    }
  }

  /** ChangeMessageVisibility; false for an unknown or stale receipt handle. */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const message = this.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (!message) return false;
    message.visibleAt = this.options.clock.now() + seconds * 1000;
    message.visibilityChanges.push(seconds);
    return true;
  }

  /** DeleteMessage; false for an unknown or stale receipt handle. */
  deleteMessage(receiptHandle: string): boolean {
    const message = this.messages.find((candidate) => candidate.receiptHandle === receiptHandle);
    if (!message) return false;
    this.remove(message);
    this.deleted.push(message);
    return true;
  }

  /** ApproximateNumberOfMessages (visible) and ApproximateNumberOfMessagesNotVisible, exact here. */
  counts(): { visible: number; notVisible: number } {
    const now = this.options.clock.now();
    const visible = this.messages.filter((message) => message.visibleAt <= now).length;
    return { visible, notVisible: this.messages.length - visible };
  }

  /** When the next message becomes visible (undefined when the queue is empty). */
  nextVisibleAt(): number | undefined {
    return this.messages.length === 0 ? undefined : Math.min(...this.messages.map((message) => message.visibleAt));
  }

  clear(): void {
    this.messages.splice(0);
    this.deleted.splice(0);
  }

  private remove(message: QueuedMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  private asRecord(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle!,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: message.attributes.SentTimestamp,
        SenderId: 'AIDALOCAL',
        ApproximateFirstReceiveTimestamp: message.attributes.SentTimestamp,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.arn,
      awsRegion: 'us-east-1',
    };
  }
}
