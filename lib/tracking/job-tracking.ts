import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { publishCompletion } from './completion-publisher';
import { TrackerEnvironment } from './tracking-contract';
import { createReportingStateMachine } from './reporting-state-machine';
import { HandlerFunction } from '../common/handler-function';
import { grantReadJobStatus } from '../trigger/rekognition-job-grants';
import { acknowledgeInvokeGrants, grantWithReason } from '../common/grants';

export interface JobTrackingProps {
  readonly pipelineId: string;
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  readonly encryptionKey: kms.IKey;
  readonly pollInterval: Duration;
  readonly trackingTimeout: Duration;
  readonly eventBus?: events.IEventBus;
  readonly completionTopic?: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Errors worth waiting out: Rekognition or S3 throttling and service hiccups, and Lambda's own. */
export const TRANSIENT_ERRORS = [
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'SlowDown',
  'TimeoutError',
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  // A download cut off mid-stream surfaces as a plain Error; a bug does too, and is retried in vain
  // only up to the retry budget before the execution fails visibly.
  'Error',
];

/**
 * One Standard workflow execution per manifest, named after the job's ClientRequestToken so a
 * duplicate start collapses into the existing execution. It polls the job until it finishes,
 * then publishes one completion event. Every poll, retry and event is in the execution history.
 */
export class JobTracking extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly tracker: HandlerFunction;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobTrackingProps) {
    super(scope, id);

    this.tracker = new HandlerFunction(this, 'Tracker', {
      asset: 'tracking',
      description: 'Checks a Rekognition bulk moderation job and, once it has finished, summarises its results',
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        [TrackerEnvironment.KMS_KEY_ID]: props.encryptionKey.keyArn,
        [TrackerEnvironment.PIPELINE_ID]: props.pipelineId,
      },
    });
    this.grantTrackerAccess(props);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = createReportingStateMachine(this, {
      definition: () => this.definition(props),
      timeout: props.trackingTimeout,
      comment: 'Tracks one Rekognition bulk moderation job until it finishes and publishes its completion event',
      completionTopic: props.completionTopic,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }));
    acknowledgeInvokeGrants(this.stateMachine, [this.tracker.function]);
  }

  private definition(props: JobTrackingProps): sfn.IChainable {
    const check = new tasks.LambdaInvoke(this, 'CheckJob', {
      lambdaFunction: this.tracker.function,
      // The state (the execution input plus the last step) is the payload: the tracker reads the
      // input fields and ignores `step`.
      payloadResponseOnly: true,
      resultPath: '$.step',
      retryOnServiceExceptions: false,
    });
    check.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: 10,
      maxDelay: Duration.minutes(15),
      jitterStrategy: sfn.JitterType.FULL,
    });

    const wait = new sfn.Wait(this, 'WaitForJob', { time: sfn.WaitTime.duration(props.pollInterval) });
    const finished = new sfn.Choice(this, 'Finished?')
      .when(sfn.Condition.booleanEquals('$.step.done', true), publishCompletion(this, props))
      .otherwise(wait.next(check));

    return check.next(finished);
  }

  private grantTrackerAccess(props: JobTrackingProps): void {
    const role = this.tracker.role;
    grantReadJobStatus(role);
    grantWithReason(role, {
      sid: 'ReadResultsWriteFlaggedList',
      // AbortMultipartUpload: a flagged list over 8 MiB is uploaded in parts, and cleaned up on failure.
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.outputBucket.arnForObjects(`${props.outputPrefix}*`)],
      reason: 'The tracker reads each job\'s results and summary and writes its flagged-images list in per-manifest folders below the output prefix, named at run time.',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'UseResultsKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [props.encryptionKey.keyArn],
    }));
  }
}
