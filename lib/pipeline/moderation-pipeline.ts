import { Annotations, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { createJobCompletedRule, JobCompletedRuleOptions } from '../events/job-completed-rule';
import { ModerationEngine } from '../engine/moderation-engine';
import { ModerationPipelineProps } from './moderation-pipeline-props';
import { ConditionedQueueDestination } from '../trigger/conditioned-queue-destination';
import type { PipelineEngineBinding } from '../engine/engine-binding';
import { JobTracking } from '../tracking/job-tracking';
import { ManifestTrigger, type TriggerPipelineSettings } from '../trigger/manifest-trigger';
import { createPipelineAlarms } from '../operations/pipeline-alarms';
import { createPipelineDashboard } from '../operations/pipeline-dashboard';
import { PipelineMetrics } from '../operations/pipeline-metrics';
import { IModerationPipeline } from './moderation-pipeline-interface';
import { PIPELINE_DEFAULTS } from './pipeline-defaults';
import { grantRekognitionJobAccess } from '../trigger/rekognition-job-grants';
import { createAccessLogsBucket, createSecureBucket } from '../common/secure-bucket';
import { acknowledgeFinding, acknowledgeGrant, BASIC_EXECUTION_ROLE_FINDING } from '../common/grants';
import { validatePipelineProps } from './validate-pipeline-props';
import { createPipelineKey } from './pipeline-key';
import { LogGroupEncryption } from '../common/encrypted-log-groups';
import type { ImageBatcher } from '../ingest/image-batcher';
import { ModerationActions } from '../actions/moderation-actions';
import { ModerationPolicy } from '../actions/moderation-policy';
import { anyModerationLabelProblem } from '../actions/moderation-taxonomy';
import { QuarantinePolicy } from '../actions/quarantine-policy';
import { createImageFlaggedRule, ImageFlaggedRuleOptions } from '../actions/image-flagged-rule';
import { DEFAULT_MIN_CONFIDENCE } from '../events/completion-event-contract';
import { FunctionNetwork } from '../common/function-network';

/**
 * An S3 bucket that moderates the images listed in every manifest dropped into it.
 *
 * A new manifest (JSON Lines of `{"source-ref": "s3://bucket/key"}`) under `manifestPrefix`
 * raises an S3 event; the event waits in an encrypted queue until the trigger function hands it
 * to the pipeline's engine: an Amazon Rekognition bulk analysis job (StartMediaAnalysisJob), or a
 * run of the per-image workflow (DetectModerationLabels image by image). Results land in the
 * output bucket, one folder per manifest, in the same format for both; manifests that can never
 * run get an error report in that folder instead.
 */
export class ModerationPipeline extends Construct implements IModerationPipeline {
  /** The bucket that manifests are uploaded to. */
  public readonly inputBucket: s3.IBucket;
  /** The bucket that results, summaries and error reports are written to. */
  public readonly outputBucket: s3.IBucket;
  /** The key of the buckets and queues the construct creates and of every job. */
  public readonly encryptionKey: kms.IKey;
  /** The server access logs bucket, when the construct created one. */
  public readonly accessLogsBucket?: s3.IBucket;
  /** The queue of manifest events waiting for a job. */
  public readonly manifestQueue: sqs.IQueue;
  /** Manifest events that could not be handled, with the error as message attributes. */
  public readonly deadLetterQueue: sqs.IQueue;
  /**
   * Manifests waiting their turn: for a free concurrent-job slot (every slot was taken when they
   * came), or, with the per-image engine, for the run before them. The trigger starts them, oldest
   * first, within 15 seconds of a slot freeing.
   */
  public readonly backlogQueue: sqs.IQueue;
  /** The function that starts a job for each manifest event. */
  public readonly triggerFunction: lambda.IFunction;
  /** The key prefix that marks manifests in the input bucket. */
  public readonly manifestPrefix: string;
  /** The key suffixes that mark manifests under the manifest prefix. */
  public readonly manifestSuffixes: string[];
  /** The key prefix in the output bucket under which every manifest gets its folder. */
  public readonly outputPrefix: string;
  /** The minimum confidence of the labels, when set. */
  public readonly minConfidence?: number;
  /** The adapter ARN, when set. */
  public readonly projectVersion?: string;
  /** The prefix of every job name. */
  public readonly jobNamePrefix: string;
  /** The buckets Rekognition may read images from: the input bucket and `imageBuckets`. */
  public readonly imageBuckets: s3.IBucket[];
  /** Identifies this pipeline in its completion events (`detail.pipeline`): the construct path. */
  public readonly pipelineId: string;
  /** The workflow that tracks every job to its end and publishes its completion event. */
  public readonly trackingStateMachine: sfn.IStateMachine;
  /** The function the tracking workflow calls to check a job and summarise its results. */
  public readonly trackerFunction: lambda.IFunction;
  /** The bus that receives the completion events. */
  public readonly eventBus: events.IEventBus;
  /** The topic that receives every completion event, when one was given or created. */
  public readonly completionTopic?: sns.ITopic;
  /** How manifests are moderated. */
  public readonly engine: ModerationEngine;
  /** The per-image workflow, with engines perImage() and auto(). */
  public readonly perImageStateMachine?: sfn.IStateMachine;
  /** The CloudWatch alarms ([] when `alarmsEnabled` is false). */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The topic every alarm notifies: `alarmTopic`, or one the construct created (undefined when `alarmsEnabled` is false). */
  public readonly alarmTopic?: sns.ITopic;
  /** The dashboard, when `dashboardEnabled` is set. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The queue of S3 events of uploaded images waiting to be batched, with `imageIngestion`. */
  public readonly imageIngestionQueue?: sqs.IQueue;
  /** S3 events of uploaded images whose batches kept failing, with `imageIngestion`. */
  public readonly imageIngestionDeadLetterQueue?: sqs.IQueue;
  /** The function that batches uploaded images into manifests, with `imageIngestion`. */
  public readonly imageIngestionFunction?: lambda.IFunction;
  /** The moderation policy, when set. */
  public readonly policy?: ModerationPolicy;
  /** The function that applies `policy` after each job, when a policy is set. */
  public readonly actionsFunction?: lambda.IFunction;
  private readonly metrics: PipelineMetrics;
  private readonly quarantine?: QuarantinePolicy;

  constructor(scope: Construct, id: string, props: ModerationPipelineProps = {}) {
    super(scope, id);
    validatePipelineProps(this.node.path, props);
    // Access logs are delivered through a bucket policy, never the legacy ACL, whatever the app's flags.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    const removalPolicy = props.removalPolicy ?? PIPELINE_DEFAULTS.removalPolicy;
    const logRetention = props.logRetention ?? PIPELINE_DEFAULTS.logRetention;
    this.pipelineId = this.node.path;
    this.manifestPrefix = props.manifestPrefix ?? PIPELINE_DEFAULTS.manifestPrefix;
    this.outputPrefix = props.outputPrefix ?? PIPELINE_DEFAULTS.outputPrefix;
    this.minConfidence = props.minConfidence;
    this.projectVersion = props.projectVersion;
    this.jobNamePrefix = props.jobNamePrefix ?? PIPELINE_DEFAULTS.jobNamePrefix;
    this.engine = props.engine ?? ModerationEngine.bulk();

    FunctionNetwork.place(this, props);
    this.encryptionKey = props.encryptionKey ?? createPipelineKey(this, removalPolicy);
    if (!LogGroupEncryption.enable(this, this.encryptionKey)) {
      Annotations.of(this).addWarningV2('cdk-bulk-moderation:logGroupsNotEncrypted',
        'encryptionKey is imported or belongs to another stack, so its key policy cannot be edited to let CloudWatch Logs use it: '
        + 'the pipeline\'s log groups are encrypted with CloudWatch Logs\' own key instead.');
    }

    const createsBucket = !props.inputBucket || !props.outputBucket;
    this.accessLogsBucket = createsBucket
      ? props.accessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogsBucket', removalPolicy)
      : undefined;

    this.inputBucket = props.inputBucket ?? createSecureBucket(this, 'InputBucket', {
      encryptionKey: this.encryptionKey,
      versioned: true,
      accessLogsBucket: this.accessLogsBucket!,
      accessLogsPrefix: 'input-bucket/',
      removalPolicy,
    });
    this.outputBucket = props.outputBucket ?? createSecureBucket(this, 'OutputBucket', {
      encryptionKey: this.encryptionKey,
      versioned: props.outputBucketVersioned ?? PIPELINE_DEFAULTS.outputBucketVersioned,
      accessLogsBucket: this.accessLogsBucket!,
      accessLogsPrefix: 'output-bucket/',
      removalPolicy,
    });

    const trigger = new ManifestTrigger(this, 'Trigger', {
      encryptionKey: this.encryptionKey,
      timeout: props.triggerTimeout ?? PIPELINE_DEFAULTS.triggerTimeout,
      batchSize: props.triggerBatchSize ?? PIPELINE_DEFAULTS.triggerBatchSize,
      maxConcurrency: props.triggerMaxConcurrency ?? PIPELINE_DEFAULTS.triggerMaxConcurrency,
      maxReceiveCount: props.maxReceiveCount ?? PIPELINE_DEFAULTS.maxReceiveCount,
      unexpectedErrorAttempts: props.unexpectedErrorAttempts ?? defaultUnexpectedErrorAttempts(props.maxReceiveCount),
      startsBulkJobs: this.engine._startsBulkJobs,
      logRetention,
      removalPolicy,
    });
    this.manifestQueue = trigger.queue;
    this.deadLetterQueue = trigger.deadLetterQueue;
    this.backlogQueue = trigger.backlog.queue;
    this.triggerFunction = trigger.function;

    const ingestBucket = props.imageIngestion ? props.imageIngestion.bucket ?? this.inputBucket : undefined;
    this.imageBuckets = [this.inputBucket, ...props.imageBuckets ?? []];
    if (ingestBucket && !this.imageBuckets.includes(ingestBucket)) this.imageBuckets.push(ingestBucket);
    grantRekognitionJobAccess(trigger.handler.role, {
      inputBuckets: this.imageBuckets,
      outputBucket: this.outputBucket,
      outputPrefix: this.outputPrefix,
      encryptionKey: this.encryptionKey,
      projectVersion: props.projectVersion,
      startsJobs: this.engine._startsBulkJobs,
    });

    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.completionTopic = props.completionTopic ?? (props.createCompletionTopic
      ? new sns.Topic(this, 'CompletionTopic', { masterKey: this.encryptionKey, enforceSSL: true })
      : undefined);
    this.policy = props.policy;
    this.actionsFunction = props.policy ? this.addActions(props.policy, props, logRetention, removalPolicy) : undefined;
    this.quarantine = props.policy?.quarantines ? new QuarantinePolicy(this, this.imageBuckets) : undefined;
    const tracking = this.addTracking(props, trigger, logRetention, removalPolicy);
    this.trackingStateMachine = tracking.stateMachine;
    this.trackerFunction = tracking.tracker.function;
    const engineBinding = this.bindEngine(props, trigger, logRetention, removalPolicy);
    this.perImageStateMachine = engineBinding.perImageWorkflow;
    trigger.configure(this.triggerSettings(props, engineBinding));
    const operations = this.addOperations(props, tracking);
    this.metrics = operations.metrics;
    this.alarmTopic = operations.alarmTopic;
    this.dashboard = operations.dashboard;

    const manifestSuffixes = props.manifestSuffixes ?? [...PIPELINE_DEFAULTS.manifestSuffixes];
    this.manifestSuffixes = manifestSuffixes;
    this.notifyOnManifests(manifestSuffixes, trigger.queueArnForKeyPolicy);
    const batcher = this.addImageIngestion(props, { manifestSuffix: manifestSuffixes[0], logRetention, removalPolicy });
    this.imageIngestionQueue = batcher?.queue;
    this.imageIngestionDeadLetterQueue = batcher?.deadLetterQueue;
    this.imageIngestionFunction = batcher?.handler.function;
    this.alarms = batcher?.alarm ? [...operations.alarms, batcher.alarm] : operations.alarms;
    if (props.encryptionKey && !(props.encryptionKey instanceof kms.Key)) {
      Annotations.of(this).addWarningV2('cdk-bulk-moderation:importedKeyPolicy',
        'encryptionKey is imported, so its key policy cannot be edited: allow s3.amazonaws.com kms:GenerateDataKey* and kms:Decrypt '
        + 'on condition of aws:SourceAccount and kms:EncryptionContext:aws:sqs:arn (the manifest queue), or S3 cannot publish manifest events to the encrypted queue.');
    }
  }

  /**
   * A rule on the pipeline's event bus that matches this pipeline's completion events
   * (one per manifest: SUCCEEDED, or FAILED with the reason), sending them to `options.target`.
   */
  public onJobCompleted(id: string, options: JobCompletedRuleOptions = {}): events.Rule {
    return createJobCompletedRule(this, id, { eventBus: this.eventBus, pipelineId: this.pipelineId }, options);
  }

  /**
   * A rule on the pipeline's event bus that matches its 'Moderation Image Flagged' events (one
   * per image that a `policy` rule with ModerationAction.EVENT matched), optionally only those
   * with `options.label`, sending them to `options.target`.
   */
  public onImageFlagged(id: string, options: ImageFlaggedRuleOptions = {}): events.Rule {
    if (!this.policy?.publishesEvents) {
      Annotations.of(this).addWarningV2('cdk-bulk-moderation:noImageEvents',
        `onImageFlagged('${id}'): no rule of the pipeline's policy has ModerationAction.EVENT, so the rule never matches.`);
    }
    if (options.label !== undefined && !Token.isUnresolved(options.label)) {
      const problem = anyModerationLabelProblem(options.label) ?? this.policy?._eventLabelProblem(options.label);
      if (problem) throw new Error(`${this.node.path}: onImageFlagged('${id}'): options.label ${problem} (given '${options.label}')`);
    }
    return createImageFlaggedRule(this, id, { eventBus: this.eventBus, pipelineId: this.pipelineId }, options);
  }

  /**
   * Lets `grantee` (a role or a user) read quarantined images despite the quarantine Deny, and
   * release them by rewriting their tags: s3:GetObject(Version) and s3:Get/PutObject(Version)Tagging
   * on the image buckets, kms:Decrypt with the pipeline's key, and an exemption in the Deny
   * statement of every bucket the pipeline owns.
   */
  public grantReviewQuarantined(grantee: iam.IGrantable): iam.Grant {
    this.quarantine?.exempt(grantee);
    const resourceArns = this.imageBuckets.map((bucket) => bucket.arnForObjects('*'));
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      resourceArns,
    });
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeGrant(grantee.grantPrincipal, {
        resources: resourceArns,
        reason: 'A reviewer reads and releases quarantined images, which may be anywhere in the image buckets (the manifests name them).',
      });
    }
    this.encryptionKey.grant(grantee, 'kms:Decrypt');
    return grant;
  }

  /** Manifest events waiting for a job (maximum over 5 minutes). */
  public metricManifestsWaiting(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.manifestsWaiting(options);
  }

  /** Age in seconds of the oldest manifest event waiting for a job (maximum over 5 minutes). */
  public metricOldestManifestAge(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.oldestManifestAge(options);
  }

  /** Manifests waiting in the backlog for a free job slot or their per-image run (maximum over 5 minutes). */
  public metricManifestsInBacklog(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.manifestsInBacklog(options);
  }

  /** Age in seconds of the oldest manifest in the backlog (maximum over 5 minutes). */
  public metricOldestBacklogAge(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.oldestBacklogAge(options);
  }

  /** Manifest events in the dead-letter queue (maximum over 5 minutes). */
  public metricDeadLetters(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.deadLetters(options);
  }

  /** Trigger invocations that crashed or timed out (sum over 5 minutes). */
  public metricTriggerErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.triggerErrors(options);
  }

  /**
   * Manifests that ended in a FAILED completion event (sum over 5 minutes), counted by a metric
   * filter on the tracker's log (created with the alarms, or on the first call).
   */
  public metricJobsFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.jobsFailed(options);
  }

  /**
   * Tracking and per-image executions that failed, timed out or were aborted: manifests whose
   * outcome was not reported (sum over 5 minutes).
   */
  public metricTrackingFailures(options?: cloudwatch.MathExpressionOptions): cloudwatch.IMetric {
    return this.metrics.trackingFailures(options);
  }

  /**
   * Lets `grantee` list and read everything under the output prefix (results, summaries,
   * flagged-image lists, error reports), decrypting with the pipeline's key.
   */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [this.outputBucket.arnForObjects(`${this.outputPrefix}*`)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.outputBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.outputPrefix}*`] } },
    });
    this.encryptionKey.grant(grantee, 'kms:Decrypt');
    return grant;
  }

  /**
   * Lets `grantee` upload manifests (and images) under the manifest prefix, encrypting them with
   * the pipeline's key.
   */
  public grantWriteManifests(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.inputBucket.arnForObjects(`${this.manifestPrefix}*`)],
    });
    this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant;
  }

  /** Everything the trigger handler reads, written into its environment by one call (trigger-contract.ts). */
  private triggerSettings(props: ModerationPipelineProps, engineBinding: PipelineEngineBinding): TriggerPipelineSettings {
    return {
      settings: {
        outputBucket: this.outputBucket.bucketName,
        outputPrefix: this.outputPrefix,
        kmsKeyId: this.encryptionKey.keyArn,
        minConfidence: props.minConfidence,
        projectVersion: props.projectVersion,
        jobNamePrefix: this.jobNamePrefix,
      },
      trackingStateMachineArn: this.trackingStateMachine.stateMachineArn,
      engine: engineBinding.triggerEngine,
      perImageStateMachineArn: this.perImageStateMachine?.stateMachineArn,
      validateManifests: props.validateManifests ?? PIPELINE_DEFAULTS.validateManifests,
      imageBuckets: this.imageBuckets.map((bucket) => bucket.bucketName),
    };
  }

  /** One tracking execution per manifest, started by the trigger, publishing the completion event. */
  private addTracking(props: ModerationPipelineProps, trigger: ManifestTrigger, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): JobTracking {
    const tracking = new JobTracking(this, 'Tracking', {
      pipelineId: this.pipelineId,
      outputBucket: this.outputBucket,
      outputPrefix: this.outputPrefix,
      manifestBucket: this.inputBucket,
      manifestPrefix: this.manifestPrefix,
      encryptionKey: this.encryptionKey,
      pollInterval: props.pollInterval ?? PIPELINE_DEFAULTS.pollInterval,
      trackingTimeout: props.trackingTimeout ?? PIPELINE_DEFAULTS.trackingTimeout,
      eventBus: props.eventBus,
      completionTopic: this.completionTopic,
      actionsFunction: this.actionsFunction,
      logRetention,
      removalPolicy,
    });
    tracking.stateMachine.grantStartExecution(trigger.handler.role);
    return tracking;
  }

  /** The function that applies the policy after each job, before the completion event. */
  private addActions(policy: ModerationPolicy, props: ModerationPipelineProps, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): lambda.IFunction {
    return new ModerationActions(this, 'ModerationActions', {
      policy,
      defaultMinConfidence: props.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
      pipelineId: this.pipelineId,
      imageBuckets: this.imageBuckets,
      manifestBucket: this.inputBucket,
      manifestPrefix: this.manifestPrefix,
      outputBucket: this.outputBucket,
      outputPrefix: this.outputPrefix,
      encryptionKey: this.encryptionKey,
      eventBus: this.eventBus,
      logRetention,
      removalPolicy,
    }).handler.function;
  }

  /** The metrics, the alarms (unless turned off) and the dashboard (when asked for). */
  private addOperations(props: ModerationPipelineProps, tracking: JobTracking): { metrics: PipelineMetrics; alarms: cloudwatch.Alarm[]; alarmTopic?: sns.ITopic; dashboard?: cloudwatch.Dashboard } {
    // With alarms, the JobsFailed metric filter lives beside them (its logical ID predates the metrics module).
    const alarmsScope = (props.alarmsEnabled ?? PIPELINE_DEFAULTS.alarmsEnabled) ? new Construct(this, 'Alarms') : undefined;
    const metrics = new PipelineMetrics(alarmsScope ?? this, {
      manifestQueue: this.manifestQueue,
      backlogQueue: this.backlogQueue,
      deadLetterQueue: this.deadLetterQueue,
      triggerFunction: this.triggerFunction,
      trackingStateMachine: this.trackingStateMachine,
      perImageStateMachine: this.perImageStateMachine,
      trackerLogGroup: tracking.tracker.logGroup,
      pipelineId: this.pipelineId,
    });
    const alarms = alarmsScope
      ? createPipelineAlarms(alarmsScope, {
        metrics,
        maxManifestWait: props.maxManifestWait ?? PIPELINE_DEFAULTS.maxManifestWait,
        alarmTopic: props.alarmTopic,
        encryptionKey: this.encryptionKey,
      })
      : undefined;
    const dashboard = (props.dashboardEnabled ?? PIPELINE_DEFAULTS.dashboardEnabled)
      ? createPipelineDashboard(this, 'Dashboard', { metrics, alarms: alarms?.alarms ?? [] })
      : undefined;
    return { metrics, alarms: alarms?.alarms ?? [], alarmTopic: alarms?.alarmTopic, dashboard };
  }

  /** What the engine adds (the per-image workflow with engines perImage() and auto()) and tells the trigger. */
  private bindEngine(props: ModerationPipelineProps, trigger: ManifestTrigger, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy): PipelineEngineBinding {
    return this.engine._bindPipeline({
      scope: this,
      triggerRole: trigger.handler.role,
      workflow: {
        outputBucket: this.outputBucket,
        outputPrefix: this.outputPrefix,
        encryptionKey: this.encryptionKey,
        imageBuckets: this.imageBuckets,
        manifestBucket: this.inputBucket,
        manifestPrefix: this.manifestPrefix,
        minConfidence: props.minConfidence,
        projectVersion: props.projectVersion,
        trackerFunction: this.trackerFunction,
        eventBus: props.eventBus,
        completionTopic: this.completionTopic,
        actionsFunction: this.actionsFunction,
        logRetention,
        removalPolicy,
      },
    });
  }

  /** The queue, batcher and notification of `imageIngestion`, when set. */
  private addImageIngestion(
    props: ModerationPipelineProps,
    options: { manifestSuffix: string; logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
  ): ImageBatcher | undefined {
    const ingestion = props.imageIngestion;
    if (!ingestion) return undefined;
    return ingestion._bind(this, 'ImageIngestion', {
      inputBucket: this.inputBucket,
      manifestPrefix: this.manifestPrefix,
      manifestSuffix: options.manifestSuffix,
      encryptionKey: this.encryptionKey,
      alarmTopic: this.alarmTopic,
      logRetention: options.logRetention,
      removalPolicy: options.removalPolicy,
    });
  }

  private notifyOnManifests(suffixes: string[], queueArnForKeyPolicy: string): void {
    const destination = new ConditionedQueueDestination(this.manifestQueue, queueArnForKeyPolicy);
    for (const suffix of suffixes) {
      this.inputBucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, {
        prefix: this.manifestPrefix || undefined,
        suffix,
      });
    }
    const notificationsHandler = Stack.of(this).node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (notificationsHandler) {
      acknowledgeFinding(notificationsHandler, BASIC_EXECUTION_ROLE_FINDING,
        'aws-cdk-lib\'s own bucket-notifications handler, shared by the whole stack; its role and policy are not configurable.');
    }
  }
}

/** aws-cdk-lib's stack-wide singleton that configures bucket notifications. */
const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/** 5, or one less than a smaller maxReceiveCount, so the trigger forwards before the queue dead-letters. */
function defaultUnexpectedErrorAttempts(maxReceiveCount: number | undefined): number {
  if (maxReceiveCount === undefined || Token.isUnresolved(maxReceiveCount)) return PIPELINE_DEFAULTS.unexpectedErrorAttempts;
  return Math.min(PIPELINE_DEFAULTS.unexpectedErrorAttempts, maxReceiveCount - 1);
}
