import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HandlerFunction } from '../common/handler-function';
import { createEventQueue } from '../common/event-queue';
import { tokenAwareString } from '../common/token-string';
import { createJobBacklog, type JobBacklog } from './job-backlog';
import { TRIGGER_HANDLER, triggerEnvironment, type TriggerSettings } from './trigger-contract';

/** What the pipeline configures the trigger with; the trigger adds its own dead-letter queue and attempts. */
export type TriggerPipelineSettings = Omit<TriggerSettings, 'deadLetterQueueUrl' | 'unexpectedErrorAttempts' | 'backlogQueueUrl' | 'manifestQueueUrl'>;

export interface ManifestTriggerProps {
  readonly encryptionKey: kms.IKey;
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly unexpectedErrorAttempts: number;
  /** Whether the trigger starts bulk analysis jobs (and so counts the account's running ones for its backlog). */
  readonly startsBulkJobs: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Manifest events queue (with its dead-letter queue) feeding the function that starts jobs. */
export class ManifestTrigger extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly handler: HandlerFunction;
  /** The queue of manifests waiting for a job slot (or their per-image run) and its schedule. */
  public readonly backlog: JobBacklog;
  /**
   * The manifest queue's ARN, known without a reference to the queue: policies the queue depends
   * on (the key's, the dead-letter queue's) can name it without a circular dependency.
   */
  public readonly queueArnForKeyPolicy: string;
  private readonly unexpectedErrorAttempts: number;

  constructor(scope: Construct, id: string, props: ManifestTriggerProps) {
    super(scope, id);
    this.unexpectedErrorAttempts = props.unexpectedErrorAttempts;
    const backlogScope = new Construct(this, 'Backlog');
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue, queueArnForKeyPolicy: this.queueArnForKeyPolicy } = createEventQueue(this, {
      encryptionKey: props.encryptionKey,
      visibilityTimeout: Duration.seconds(props.timeout.toSeconds() * 6),
      maxReceiveCount: props.maxReceiveCount,
      alsoRedrivenFrom: [backlogScope],
    }));

    this.handler = new HandlerFunction(this, 'Handler', {
      asset: 'trigger',
      exportName: TRIGGER_HANDLER,
      description: 'Starts a Rekognition bulk moderation job for each new manifest',
      timeout: props.timeout,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.handler.function.addEventSource(new eventSources.SqsEventSource(this.queue, {
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    }));
    // Only SendMessage: the key permissions come with the job's key grants, without the
    // ReEncrypt*/GenerateDataKey* wildcards that grantSendMessages adds.
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ForwardUnexpectedFailures',
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
    }));
    this.backlog = createJobBacklog(backlogScope, {
      encryptionKey: props.encryptionKey,
      deadLetterQueue: this.deadLetterQueue,
      manifestQueue: this.queue,
      triggerFunction: this.handler.function,
      triggerRole: this.handler.role,
      countsRunningJobs: props.startsBulkJobs,
    });
  }

  /**
   * Writes the handler's whole environment through the contract, once the pipeline knows every
   * setting (the workflows the trigger starts are built after it).
   */
  public configure(settings: TriggerPipelineSettings): void {
    const environment = triggerEnvironment({
      ...settings,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      unexpectedErrorAttempts: this.unexpectedErrorAttempts,
      backlogQueueUrl: this.backlog.queue.queueUrl,
      manifestQueueUrl: this.queue.queueUrl,
    }, tokenAwareString);
    for (const [name, value] of Object.entries(environment)) {
      this.function.addEnvironment(name, value);
    }
  }

  public get function(): lambda.Function {
    return this.handler.function;
  }
}
