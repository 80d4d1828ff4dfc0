import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HandlerFunction } from '../common/handler-function';
import { TriggerEnvironment } from './trigger-contract';

export interface ManifestTriggerProps {
  readonly encryptionKey: kms.IKey;
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly unexpectedErrorAttempts: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** The job settings the handler passes to StartMediaAnalysisJob, as environment variables. */
  readonly jobEnvironment: Record<string, string>;
}

/** Manifest events queue (with its dead-letter queue) feeding the function that starts jobs. */
export class ManifestTrigger extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly handler: HandlerFunction;

  constructor(scope: Construct, id: string, props: ManifestTriggerProps) {
    super(scope, id);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(props.timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });

    this.handler = new HandlerFunction(this, 'Handler', {
      asset: 'trigger',
      description: 'Starts a Rekognition bulk moderation job for each new manifest',
      timeout: props.timeout,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        ...props.jobEnvironment,
        [TriggerEnvironment.DEAD_LETTER_QUEUE_URL]: this.deadLetterQueue.queueUrl,
        [TriggerEnvironment.UNEXPECTED_ERROR_ATTEMPTS]: String(props.unexpectedErrorAttempts),
      },
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
  }

  public get function(): lambda.Function {
    return this.handler.function;
  }
}
