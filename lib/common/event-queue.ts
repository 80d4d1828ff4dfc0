import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { stackInstanceId } from './stack-instance';

export interface EventQueueOptions {
  readonly encryptionKey: kms.IKey;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
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
  const queueName = `moderation-${stackInstanceId()}-${scope.node.addr.slice(0, 16)}`;
  const queueArnForKeyPolicy = Stack.of(scope).formatArn({ service: 'sqs', resource: queueName });
  const encrypted = {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: options.encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  };
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    ...encrypted,
    redriveAllowPolicy: {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueues: [sqs.Queue.fromQueueArn(scope, 'ManifestQueueByName', queueArnForKeyPolicy)],
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
