import type { Message } from '@aws-sdk/client-sqs';
import { lazySqs } from '../../common/lazy-clients';

/** SQS allows 10 messages per receive. */
const MAX_RECEIVE = 10;

/** The backlog queue, as the trigger uses it: park, count, take, settle. */
export class BacklogQueue {
  constructor(private readonly url: string) {}

  /** Puts a manifest event (the manifest queue message's body) at the end of the backlog. */
  public async park(body: string, sourceMessageId: string): Promise<void> {
    const { sdk, client } = await lazySqs();
    await client.send(new sdk.SendMessageCommand({
      QueueUrl: this.url,
      MessageBody: body,
      MessageAttributes: { SourceMessageId: { DataType: 'String', StringValue: sourceMessageId } },
    }));
  }

  /** Messages waiting: visible ones, and with `inFlight` those being started or retried too (approximate, as SQS counts). */
  public async waiting(inFlight: boolean): Promise<number> {
    const { sdk, client } = await lazySqs();
    const { Attributes: attributes = {} } = await client.send(new sdk.GetQueueAttributesCommand({
      QueueUrl: this.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }));
    const visible = Number(attributes.ApproximateNumberOfMessages ?? 0);
    return inFlight ? visible + Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) : visible;
  }

  /** Takes up to `max` (at most 10) waiting messages, hidden for `visibilitySeconds` while they are started. */
  public async take(max: number, visibilitySeconds: number): Promise<Message[]> {
    const { sdk, client } = await lazySqs();
    const { Messages: messages = [] } = await client.send(new sdk.ReceiveMessageCommand({
      QueueUrl: this.url,
      MaxNumberOfMessages: Math.min(MAX_RECEIVE, Math.max(1, max)),
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      MessageAttributeNames: ['All'],
    }));
    return messages;
  }

  public async remove(message: Message): Promise<void> {
    const { sdk, client } = await lazySqs();
    await client.send(new sdk.DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.ReceiptHandle! }));
  }

  /** Puts a taken message back, visible again after `seconds` (0: at once, for the next look). */
  public async release(message: Message, seconds = 0): Promise<void> {
    const { sdk, client } = await lazySqs();
    await client.send(new sdk.ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: seconds }));
  }
}
