import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { encryptedQueueProps, queueNameFor } from '../common/event-queue';
import { grantWithReason } from '../common/grants';
import { BACKLOG_MAX_RECEIVE_COUNT, BACKLOG_TICK, BACKLOG_TICK_MINUTES } from './backlog-contract';

export interface JobBacklogOptions {
  readonly encryptionKey: kms.IKey;
  readonly deadLetterQueue: sqs.IQueue;
  readonly manifestQueue: sqs.IQueue;
  readonly triggerFunction: lambda.IFunction;
  readonly triggerRole: iam.IRole;
  /** Whether the trigger starts bulk analysis jobs, and so counts the account's running ones. */
  readonly countsRunningJobs: boolean;
}

export interface JobBacklog {
  /** Manifests waiting for a free concurrent-job slot. */
  readonly queue: sqs.Queue;
  /** Wakes the trigger every minute to start waiting manifests into slots freed by anyone (looking every 15 s while they wait). */
  readonly schedule: events.Rule;
}

/**
 * Fills `scope` (created before the dead-letter queue, which names the backlog queue as a source)
 * with the backlog queue, the schedule, and the trigger's rights to work them. The queue has no
 * event source: nothing polls it while every slot is taken.
 */
export function createJobBacklog(scope: Construct, options: JobBacklogOptions): JobBacklog {
  const queue = new sqs.Queue(scope, 'Queue', {
    ...encryptedQueueProps(options.encryptionKey),
    queueName: queueNameFor(scope),
    deadLetterQueue: { queue: options.deadLetterQueue, maxReceiveCount: BACKLOG_MAX_RECEIVE_COUNT },
  });
  const schedule = new events.Rule(scope, 'Schedule', {
    description: 'Starts manifests waiting for a free Rekognition job slot',
    schedule: events.Schedule.rate(Duration.minutes(BACKLOG_TICK_MINUTES)),
    // A missed look is harmless: the next one comes a minute later.
    targets: [new targets.LambdaFunction(options.triggerFunction, {
      event: events.RuleTargetInput.fromObject(BACKLOG_TICK),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(BACKLOG_TICK_MINUTES),
    })],
  });

  const role = options.triggerRole;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'WorkTheBacklog',
    actions: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
    resources: [queue.queueArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'SendBackToManifestQueue',
    actions: ['sqs:SendMessage'],
    resources: [options.manifestQueue.queueArn],
  }));
  if (!options.countsRunningJobs) return { queue, schedule };
  grantWithReason(role, {
    sid: 'CountRunningJobs',
    actions: ['rekognition:ListMediaAnalysisJobs'],
    resources: ['*'],
    reason: 'rekognition:ListMediaAnalysisJobs has no resource type, so it can only be granted on "*".',
  });
  return { queue, schedule };
}
