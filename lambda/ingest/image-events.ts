import { parseS3EventBody } from '../trigger/s3-event';

/** One queue message, from the event source or received by the batcher itself. */
export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
}

/** One upload of an object, as its S3 event tells it. */
export interface ObjectEvent {
  readonly bucket: string;
  readonly key: string;
  /** Absent in an unversioned bucket. */
  readonly version?: string;
  /** 'v:' + versionId, else 's:' + sequencer, else 'e:' + eTag: the same for duplicate deliveries of one upload. */
  readonly revision: string;
}

export interface ParsedMessages {
  /** One per object version: duplicate deliveries of an upload are dropped here. */
  readonly events: ObjectEvent[];
  /** What was not an upload under the ingest prefix (test events, other buckets), for the log. */
  readonly ignored: string[];
  /** Each event's identity -> the ids of the messages that told of it (more than one: duplicate deliveries). */
  readonly carriers: Map<string, string[]>;
}

/** The uploads the messages tell of, keys URL-decoded ('+' is a space), each object version once. */
export function parseMessages(messages: readonly QueueMessage[], bucket: string, prefix: string): ParsedMessages {
  const events = new Map<string, ObjectEvent>();
  const carriers = new Map<string, string[]>();
  const ignored: string[] = [];
  for (const message of messages) {
    const parsed = parseS3EventBody(message.body);
    if (parsed.kind === 'skip') {
      ignored.push(`${message.messageId}: ${parsed.reason}`);
      continue;
    }
    ignored.push(...parsed.ignored.map((reason) => `${message.messageId}: ${reason}`));
    for (const { manifest: object, revision } of parsed.manifests) {
      if (object.bucket !== bucket || !object.key.startsWith(prefix)) {
        ignored.push(`${message.messageId}: s3://${object.bucket}/${object.key} is not under s3://${bucket}/${prefix}`);
        continue;
      }
      const event: ObjectEvent = { bucket: object.bucket, key: object.key, revision, ...(object.version !== undefined && { version: object.version }) };
      events.set(identity(event), event);
      carriers.set(identity(event), [...carriers.get(identity(event)) ?? [], message.messageId]);
    }
  }
  return { events: [...events.values()], ignored, carriers };
}

/** What tells one object version from every other: bucket, key and revision. */
export function identity(event: Pick<ObjectEvent, 'bucket' | 'key' | 'revision'>): string {
  return `${event.bucket}\n${event.key}\n${event.revision}`;
}
