import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { publishCompletion } from './completion-publisher';
import { createReportingStateMachine } from './reporting-state-machine';
import { TRACKER_HANDLER, TRACKING_GRACE_SECONDS, trackerEnvironment, TrackingPath, TrackingState } from './tracking-contract';
import { WORKFLOW_RETRYABLE_ERRORS } from '../common/contract/error-names';
import { HandlerFunction } from '../common/handler-function';
import { tokenAwareString } from '../common/token-string';
import { grantReadJobStatus } from '../trigger/rekognition-job-grants';
import { acknowledgeInvokeGrants, grantWithReason } from '../common/grants';
import { grantListResultsAndKey } from '../common/results-folder-grants';
import { skipReportFolders } from '../common/contract/batch-files';
import { SKIP_REPORT_SUFFIX } from '../ingest/ingest-contract';

export interface JobTrackingProps {
  readonly pipelineId: string;
  readonly outputBucket: s3.IBucket;
  readonly outputPrefix: string;
  /** The pipeline's input bucket: skip reports are written below its manifest prefix. */
  readonly manifestBucket: s3.IBucket;
  readonly manifestPrefix: string;
  readonly encryptionKey: kms.IKey;
  readonly pollInterval: Duration;
  /** How long a job is followed; then the tracker reports it FAILED (stage TRACKING_TIMEOUT). */
  readonly trackingTimeout: Duration;
  readonly eventBus?: events.IEventBus;
  readonly completionTopic?: sns.ITopic;
  /** Applies the pipeline's ModerationPolicy before the completion event (absent: no policy). */
  readonly actionsFunction?: lambda.IFunction;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One Standard workflow execution per manifest, named after the job's ClientRequestToken so a
 * duplicate start collapses into the existing execution. It polls the job until it finishes (or
 * the tracking timeout runs out), then publishes one completion event. Every poll, retry and
 * event is in the execution history.
 */
export class JobTracking extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly tracker: HandlerFunction;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobTrackingProps) {
    super(scope, id);

    this.tracker = new HandlerFunction(this, 'Tracker', {
      asset: 'tracking',
      exportName: TRACKER_HANDLER,
      description: 'Checks a Rekognition bulk moderation job and, once it has finished, summarises its results',
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: trackerEnvironment({
        kmsKeyId: props.encryptionKey.keyArn,
        pipelineId: props.pipelineId,
        trackingTimeoutSeconds: props.trackingTimeout.toSeconds(),
        manifestPrefix: props.manifestPrefix,
      }, tokenAwareString),
    });
    this.grantTrackerAccess(props);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = createReportingStateMachine(this, {
      definition: () => this.definition(props),
      timeout: executionTimeout(props),
      comment: 'Tracks one Rekognition bulk moderation job until it finishes and publishes its completion event',
      completionTopic: props.completionTopic,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }));
    acknowledgeInvokeGrants(this.stateMachine, [this.tracker.function, ...props.actionsFunction ? [props.actionsFunction] : []]);
  }

  private definition(props: JobTrackingProps): sfn.IChainable {
    // The tracker's deadline counts from here: the execution's start.
    const start = new sfn.Pass(this, TrackingState.START, {
      parameters: { 'startedAt.$': TrackingPath.EXECUTION_START_TIME },
      resultPath: TrackingPath.CONTEXT,
    });
    const check = new tasks.LambdaInvoke(this, TrackingState.CHECK, {
      lambdaFunction: this.tracker.function,
      // The state (the execution input, the tracking context and the last step) is the payload:
      // the tracker reads the input fields and the context, and ignores `step`.
      payloadResponseOnly: true,
      resultPath: TrackingPath.STEP,
      retryOnServiceExceptions: false,
    });
    check.addRetry({
      errors: [...WORKFLOW_RETRYABLE_ERRORS],
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: 10,
      maxDelay: Duration.minutes(15),
      jitterStrategy: sfn.JitterType.FULL,
    });

    const wait = new sfn.Wait(this, TrackingState.WAIT, { time: sfn.WaitTime.duration(props.pollInterval) });
    const finished = new sfn.Choice(this, TrackingState.FINISHED)
      .when(sfn.Condition.booleanEquals(TrackingPath.DONE, true), publishCompletion(this, props))
      .otherwise(wait.next(check));

    return start.next(check).next(finished);
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
    // The tracker reports a results object that is gone (failure stage RESULTS): it must see NoSuchKey.
    grantListResultsAndKey(role, props);
    this.grantReadSkipReports(props);
  }

  /** Only the skip reports of image ingestion and backfills; a missing one (nothing skipped) must read as NoSuchKey. */
  private grantReadSkipReports(props: JobTrackingProps): void {
    const folders = skipReportFolders(props.manifestPrefix);
    grantWithReason(this.tracker.role, {
      sid: 'ReadSkipReports',
      actions: ['s3:GetObject'],
      resources: folders.map((folder) => props.manifestBucket.arnForObjects(`${folder}*${SKIP_REPORT_SUFFIX}`)),
      reason: 'The tracker counts the skips of each ingested or backfilled batch in its completion event: the skip reports are named after their batches, at run time.',
    });
    this.tracker.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListSkipReports',
      actions: ['s3:ListBucket'],
      resources: [props.manifestBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': folders.map((folder) => `${folder}*`) } },
    }));
  }
}

/**
 * The tracker gives up at the tracking timeout; the execution itself is allowed a poll interval
 * and TRACKING_GRACE_SECONDS more, to report it. With a token among them no sum can be formed
 * at synth, and the execution times out with the tracker.
 */
function executionTimeout(props: JobTrackingProps): Duration {
  if (props.trackingTimeout.isUnresolved() || props.pollInterval.isUnresolved()) return props.trackingTimeout;
  return Duration.seconds(props.trackingTimeout.toSeconds() + props.pollInterval.toSeconds() + TRACKING_GRACE_SECONDS);
}
