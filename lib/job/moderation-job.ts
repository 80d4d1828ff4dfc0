import { Annotations, Arn, ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ModerationEngine } from '../engine/moderation-engine';
import { HandlerFunction } from '../common/handler-function';
import { createLogGroup, LogGroupEncryption } from '../common/encrypted-log-groups';
import { FunctionNetwork } from '../common/function-network';
import { grantWithReason } from '../common/grants';
import { tokenAwareString } from '../common/token-string';
import {
  IS_COMPLETE_HANDLER,
  ModerationJobAttribute,
  moderationJobEnvironment,
  moderationJobProperties,
  ModerationJobProperty,
  ModerationJobSettings,
  ON_EVENT_HANDLER,
} from './moderation-job-contract';
import { createJobProvider } from './job-provider';
import { PIPELINE_DEFAULTS } from '../pipeline/pipeline-defaults';
import { grantReadJobStatus, grantRekognitionJobAccess } from '../trigger/rekognition-job-grants';
import { jobEngine, jobEngineContext, reportsCompletion, trackingMismatches, validateJobProps } from './validate-job-props';
import type { ModerationJobProps } from './moderation-job-props';


/**
 * Moderates one manifest during `cdk deploy`: one Amazon Rekognition bulk analysis job, or, with
 * engine `perImage()` (or `auto()` when the account is refused bulk analysis), one run of the
 * pipeline's per-image workflow, which ends in the pipeline's completion event. A bulk job
 * started with a pipeline is reported by the pipeline's tracking workflow (`reportCompletion`):
 * the pipeline's policy is applied to its results and its completion event published.
 *
 * Create starts the job or run (idempotently under CloudFormation retries); changing any property
 * starts a new one; Delete leaves the results in place (Rekognition has no stop API; a per-image
 * run is left to finish).
 */
export class ModerationJob extends Construct {
  /** The Rekognition JobId, or the ARN of the per-image run's execution. */
  public readonly jobId: string;
  /** The JobName given to Rekognition. */
  public readonly jobName: string;
  /** The S3KeyPrefix the results are written under. */
  public readonly outputPrefix: string;
  /** s3:// location of the output manifest; only with `waitForCompletion`. */
  public readonly resultsLocation?: string;
  /** s3:// location of the manifest summary; only with `waitForCompletion`. */
  public readonly summaryLocation?: string;
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** How the manifest is moderated. */
  public readonly engine: ModerationEngine;

  constructor(scope: Construct, id: string, props: ModerationJobProps) {
    super(scope, id);
    validateJobProps(this.node.path, props);
    const pipeline = props.pipeline;
    this.engine = jobEngine(props);
    // Validated: a pipeline with a per-image workflow whenever the engine uses one.
    const { startsBulkJobs, perImageWorkflow: perImageStateMachine, properties: engineProperties } = this.engine._bindJob(jobEngineContext(props));
    const perImageExecutions = perImageStateMachine && Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName(perImageStateMachine)}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const outputBucket = (props.outputBucket ?? pipeline?.outputBucket)!;
    const outputPrefix = props.outputPrefix ?? pipeline?.outputPrefix ?? PIPELINE_DEFAULTS.outputPrefix;
    const encryptionKey = props.encryptionKey ?? pipeline?.encryptionKey;
    const minConfidence = props.minConfidence ?? pipeline?.minConfidence;
    const projectVersion = props.projectVersion ?? pipeline?.projectVersion;
    const wait = props.waitForCompletion ?? false;
    const logRetention = props.logRetention ?? PIPELINE_DEFAULTS.logRetention;
    FunctionNetwork.place(this, props);
    if (!encryptionKey || !LogGroupEncryption.enable(this, encryptionKey)) {
      Annotations.of(this).addWarningV2('cdk-bulk-moderation:jobLogGroupsNotEncrypted',
        'The job has no encryptionKey of its own stack (none given, or imported, or of another stack), so no key policy can be edited to let CloudWatch Logs use it: '
        + 'its log groups are encrypted with CloudWatch Logs\' own key instead.');
    }

    // The pipeline's tracking workflow reports a bulk job as it reports the trigger's.
    const trackingStateMachine = startsBulkJobs && reportsCompletion(props) ? pipeline?.trackingStateMachine : undefined;
    if (startsBulkJobs && pipeline && props.reportCompletion === undefined && !trackingStateMachine) {
      Annotations.of(this).addWarningV2('cdk-bulk-moderation:jobCompletionNotReported',
        `The bulk job's results are not where the pipeline's tracking workflow reads them (${trackingMismatches(props).join('; ')}): `
        + 'no policy actions run and no completion event is published for it. Use the pipeline\'s output location and key, or set reportCompletion: false.');
    }

    const handlerOptions = {
      asset: 'job',
      timeout: Duration.minutes(2),
      logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    };
    const onEvent = new HandlerFunction(this, 'OnEvent', {
      ...handlerOptions,
      exportName: ON_EVENT_HANDLER,
      description: 'Starts a Rekognition bulk moderation job for a ModerationJob custom resource',
      environment: moderationJobEnvironment({ trackingStateMachineArn: trackingStateMachine?.stateMachineArn }),
    });
    if (startsBulkJobs) {
      grantRekognitionJobAccess(onEvent.role, {
        inputBuckets: uniqueBuckets([props.manifestBucket, ...pipeline?.imageBuckets ?? []]),
        outputBucket,
        outputPrefix,
        encryptionKey,
        projectVersion,
      });
    }
    // Exactly this state machine, no wildcard: the execution's name is the job's token.
    trackingStateMachine?.grantStartExecution(onEvent.role);
    // A per-image run reads and writes nothing with this role: the workflow's own roles do.
    if (perImageStateMachine && perImageExecutions) {
      perImageStateMachine.grantStartExecution(onEvent.role);
      grantDescribeRuns(onEvent.role, perImageExecutions);
    }
    const isComplete = wait ? new HandlerFunction(this, 'IsComplete', {
      ...handlerOptions,
      exportName: IS_COMPLETE_HANDLER,
      description: 'Checks whether the job of a ModerationJob custom resource has finished',
    }) : undefined;
    if (isComplete && startsBulkJobs) {
      grantReadJobStatus(isComplete.role);
    }
    if (isComplete && perImageExecutions) {
      grantDescribeRuns(isComplete.role, perImageExecutions);
    }

    const providerLogs = createLogGroup(this, 'ProviderLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const provider = createJobProvider(this, 'Provider', {
      onEventHandler: onEvent.function,
      isCompleteHandler: isComplete?.function,
      totalTimeout: wait ? props.completionTimeout ?? Duration.hours(1) : undefined,
      queryInterval: wait ? props.pollInterval ?? Duration.minutes(1) : undefined,
      logGroup: providerLogs,
      waiterStateMachineLogOptions: wait ? { destination: providerLogs, level: sfn.LogLevel.ALL } : undefined,
      disableWaiterStateMachineLogging: wait ? false : undefined,
      ...FunctionNetwork.of(this)?.functionProps(),
    });

    const properties: ModerationJobSettings = {
      ManifestBucket: props.manifestBucket.bucketName,
      ManifestKey: props.manifestKey,
      ManifestVersion: props.manifestVersion,
      OutputBucket: outputBucket.bucketName,
      OutputPrefix: outputPrefix,
      KmsKeyId: encryptionKey?.keyArn,
      MinConfidence: minConfidence,
      ProjectVersion: projectVersion,
      JobName: props.jobName,
      JobNamePrefix: pipeline?.jobNamePrefix,
      [ModerationJobProperty.WAIT_FOR_COMPLETION]: wait,
      ...engineProperties,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::RekognitionModerationJob',
      properties: moderationJobProperties(properties, tokenAwareString),
    });

    this.jobId = this.resource.getAttString(ModerationJobAttribute.JOB_ID);
    this.jobName = this.resource.getAttString(ModerationJobAttribute.JOB_NAME);
    this.outputPrefix = this.resource.getAttString(ModerationJobAttribute.OUTPUT_PREFIX);
    if (wait) {
      this.resultsLocation = this.resource.getAttString(ModerationJobAttribute.RESULTS_LOCATION);
      this.summaryLocation = this.resource.getAttString(ModerationJobAttribute.SUMMARY_LOCATION);
    }
  }
}

/** DescribeExecution on the per-image workflow's executions (a retried Create, and isComplete). */
function grantDescribeRuns(role: iam.IRole, executionsArn: string): void {
  grantWithReason(role, {
    sid: 'DescribePerImageRuns',
    actions: ['states:DescribeExecution'],
    resources: [executionsArn],
    reason: 'states:DescribeExecution is granted on the executions of the pipeline\'s per-image state machine only; '
      + 'each run\'s name is derived from the resource at deploy time, so the execution name is a wildcard.',
  });
}

/** A created state machine's name attribute, else the name in its ARN. */
function stateMachineName(stateMachine: sfn.IStateMachine): string {
  return stateMachine instanceof sfn.StateMachine
    ? stateMachine.stateMachineName
    : Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
}

function uniqueBuckets(buckets: s3.IBucket[]): s3.IBucket[] {
  return [...new Set(buckets)];
}
