import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { stackInstanceId } from './stack-instance';

export interface EventQueueOptions {
  readonly encryptionKey: kms.IKey;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  /** Scopes of other queues that move messages into the dead-letter queue (named with queueNameFor). */
  readonly alsoRedrivenFrom?: Construct[];
}

/** A queue of S3 events and its dead-letter queue, both encrypted with the pipeline's key. */
export interface EventQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /**
   * The queue's ARN, known without a reference to the queue: policies the queue depends on (the
   * key's, the dead-letter queue's) can name it without a circular dependency.
   */
  readonly queueArnForKeyPolicy: string;
}

/**
 * Creates `Queue` and `DeadLetterQueue` in `scope`. The queue is named after the stack instance
 * (it is not retained, and a new deployment gets a new name), so the key policy and the
 * dead-letter queue's redrive-allow policy can name it before it exists.
 */
export function createEventQueue(scope: Construct, options: EventQueueOptions): EventQueue {
  const queueName = queueNameFor(scope);
  const queueArnForKeyPolicy = queueArnFor(scope);
  const encrypted = encryptedQueueProps(options.encryptionKey);
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    ...encrypted,
    redriveAllowPolicy: {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueues: [
        sqs.Queue.fromQueueArn(scope, 'ManifestQueueByName', queueArnForKeyPolicy),
        ...(options.alsoRedrivenFrom ?? []).map((source) => sqs.Queue.fromQueueArn(source, 'QueueByName', queueArnFor(source))),
      ],
    },
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    ...encrypted,
    queueName,
    visibilityTimeout: options.visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: options.maxReceiveCount },
  });
  return { queue, deadLetterQueue, queueArnForKeyPolicy };
}

/**
 * The name of the queue `scope` creates: after the stack instance (queues are not retained, and a
 * new deployment gets a new name), so policies can name it before it exists.
 */
export function queueNameFor(scope: Construct): string {
  return `moderation-${stackInstanceId()}-${scope.node.addr.slice(0, 16)}`;
}

function queueArnFor(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'sqs', resource: queueNameFor(scope) });
}

/** Encrypted with the pipeline's key, TLS only, messages kept the longest SQS allows. */
export function encryptedQueueProps(encryptionKey: kms.IKey): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey' | 'enforceSSL' | 'retentionPeriod'> {
  return {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  };
}
