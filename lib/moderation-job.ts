import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ModerationEngine, ModerationEngineKind } from './moderation-engine';
import { ModerationPipeline } from './moderation-pipeline';
import { HandlerFunction } from './private/handler-function';
import { acknowledgeJobFindings } from './private/job-acknowledgements';
import { ModerationJobAttribute, ModerationJobEngine, ModerationJobProperty, ModerationJobResourceProperties } from './private/moderation-job-properties';
import { acknowledgeProviderFindings } from './private/provider-acknowledgements';
import { PIPELINE_DEFAULTS } from './private/pipeline-defaults';
import { grantRekognitionJobAccess } from './private/rekognition-job-grants';
import { jobEngine, validateJobProps } from './private/validate-job-props';

/**
 * Properties of a {@link ModerationJob}.
 */
export interface ModerationJobProps {
  /** The bucket that holds the manifest. */
  readonly manifestBucket: s3.IBucket;

  /** The manifest's key (JSON Lines, one `{"source-ref": "s3://bucket/key"}` per line). */
  readonly manifestKey: string;

  /**
   * The manifest's version.
   *
   * @default - the latest version when the job starts
   */
  readonly manifestVersion?: string;

  /**
   * A pipeline to take defaults from: its output bucket and prefix, key, minConfidence,
   * adapter and job name prefix.
   *
   * @default - no defaults: `outputBucket` is required
   */
  readonly pipeline?: ModerationPipeline;

  /**
   * The bucket that receives the results.
   *
   * @default - the pipeline's output bucket
   */
  readonly outputBucket?: s3.IBucket;

  /**
   * Key prefix in the output bucket; the job gets its own folder below it.
   *
   * @default - the pipeline's output prefix, else 'results/'
   */
  readonly outputPrefix?: string;

  /**
   * The job's KmsKeyId: Rekognition encrypts the images it copies and the results with it.
   *
   * @default - the pipeline's key, else none (S3's default encryption applies)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Minimum confidence (0-100) of the labels returned.
   *
   * @default - the pipeline's, else Rekognition's default (50)
   */
  readonly minConfidence?: number;

  /**
   * ARN of a custom moderation adapter (Rekognition project version).
   *
   * @default - the pipeline's, else the base model
   */
  readonly projectVersion?: string;

  /**
   * How the manifest is moderated. `ModerationEngine.perImage()` and `auto()` run it on the
   * per-image workflow of `pipeline` (whose engine must be `perImage()` or `auto()`), with the
   * pipeline's input bucket and manifest prefix, output location, key, minConfidence and adapter:
   * the job's own settings must agree with them. The options of the engine given here are not
   * used: the pipeline's workflow is.
   *
   * @default - the pipeline's engine when a pipeline is given, else ModerationEngine.bulk()
   */
  readonly engine?: ModerationEngine;

  /**
   * The exact job name (1-64 characters: letters, digits, '_', '.', '-').
   *
   * @default - derived from the manifest's file name and a digest, with the pipeline's prefix
   */
  readonly jobName?: string;

  /**
   * Wait, during the deployment, until the job has finished, and fail the deployment if the job
   * fails. The wait is bounded by `completionTimeout` (at most 1 hour, the custom-resource
   * provider's limit): a longer job fails the deployment even though the job goes on.
   *
   * @default false
   */
  readonly waitForCompletion?: boolean;

  /**
   * How long the deployment waits for the job with `waitForCompletion` (1 to 60 minutes).
   *
   * @default Duration.hours(1)
   */
  readonly completionTimeout?: Duration;

  /**
   * How often the job's status is checked with `waitForCompletion` (10 seconds to 10 minutes).
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * Retention of the handler log groups.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Moderates one manifest during `cdk deploy`: one Amazon Rekognition bulk analysis job, or, with
 * engine `perImage()` (or `auto()` when the account is refused bulk analysis), one run of the
 * pipeline's per-image workflow, which ends in the pipeline's completion event.
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
    const startsBulkJobs = this.engine.kind !== ModerationEngineKind.PER_IMAGE;
    // Validated: a pipeline with a per-image workflow whenever the engine uses one.
    const perImageStateMachine = this.engine.usesPerImage ? pipeline!.perImageStateMachine! : undefined;
    const perImageExecutions = perImageStateMachine && Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${perImageStateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const outputBucket = (props.outputBucket ?? pipeline?.outputBucket)!;
    const outputPrefix = props.outputPrefix ?? pipeline?.outputPrefix ?? PIPELINE_DEFAULTS.outputPrefix;
    const encryptionKey = props.encryptionKey ?? pipeline?.encryptionKey;
    const minConfidence = props.minConfidence ?? pipeline?.minConfidence;
    const projectVersion = props.projectVersion ?? pipeline?.projectVersion;
    const wait = props.waitForCompletion ?? false;
    const logRetention = props.logRetention ?? PIPELINE_DEFAULTS.logRetention;

    const handlerOptions = {
      asset: 'moderation-job',
      timeout: Duration.minutes(2),
      logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    };
    const onEvent = new HandlerFunction(this, 'OnEvent', {
      ...handlerOptions,
      exportName: 'onEvent',
      description: 'Starts a Rekognition bulk moderation job for a ModerationJob custom resource',
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
    // A per-image run reads and writes nothing with this role: the workflow's own roles do.
    if (perImageStateMachine && perImageExecutions) {
      perImageStateMachine.grantStartExecution(onEvent.role);
      onEvent.role.addToPrincipalPolicy(describeRunsStatement(perImageExecutions));
    }
    const isComplete = wait ? new HandlerFunction(this, 'IsComplete', {
      ...handlerOptions,
      exportName: 'isComplete',
      description: 'Checks whether the job of a ModerationJob custom resource has finished',
    }) : undefined;
    if (startsBulkJobs) {
      isComplete?.role.addToPrincipalPolicy(jobStatusStatement());
    }
    if (perImageExecutions) {
      isComplete?.role.addToPrincipalPolicy(describeRunsStatement(perImageExecutions));
    }

    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent.function,
      isCompleteHandler: isComplete?.function,
      totalTimeout: wait ? props.completionTimeout ?? Duration.hours(1) : undefined,
      queryInterval: wait ? props.pollInterval ?? Duration.minutes(1) : undefined,
      logGroup: providerLogs,
      waiterStateMachineLogOptions: wait ? { destination: providerLogs, level: sfn.LogLevel.ALL } : undefined,
      disableWaiterStateMachineLogging: wait ? false : undefined,
    });
    acknowledgeProviderFindings(provider, [onEvent.function, ...isComplete ? [isComplete.function] : []]);

    const properties: ModerationJobResourceProperties = {
      ManifestBucket: props.manifestBucket.bucketName,
      ManifestKey: props.manifestKey,
      ManifestVersion: props.manifestVersion,
      OutputBucket: outputBucket.bucketName,
      OutputPrefix: outputPrefix,
      KmsKeyId: encryptionKey?.keyArn,
      // CloudFormation hands custom resources strings; write the number as one here already.
      MinConfidence: minConfidence === undefined ? undefined : Token.isUnresolved(minConfidence) ? Token.asString(minConfidence) : String(minConfidence),
      ProjectVersion: projectVersion,
      JobName: props.jobName,
      JobNamePrefix: pipeline?.jobNamePrefix,
      [ModerationJobProperty.WAIT_FOR_COMPLETION]: wait ? 'true' : 'false',
      // Left out for bulk: resources deployed before the property existed keep their properties.
      [ModerationJobProperty.ENGINE]: ENGINE_PROPERTY[this.engine.kind],
      [ModerationJobProperty.PER_IMAGE_STATE_MACHINE_ARN]: perImageStateMachine?.stateMachineArn,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::RekognitionModerationJob',
      properties: withoutUndefined(properties),
    });

    this.jobId = this.resource.getAttString(ModerationJobAttribute.JOB_ID);
    this.jobName = this.resource.getAttString(ModerationJobAttribute.JOB_NAME);
    this.outputPrefix = this.resource.getAttString(ModerationJobAttribute.OUTPUT_PREFIX);
    if (wait) {
      this.resultsLocation = this.resource.getAttString(ModerationJobAttribute.RESULTS_LOCATION);
      this.summaryLocation = this.resource.getAttString(ModerationJobAttribute.SUMMARY_LOCATION);
    }

    acknowledgeJobFindings(this, {
      onEventRole: onEvent.role,
      isCompleteRole: isComplete?.role,
      provider,
      startsBulkJobs,
      readBuckets: uniqueBuckets([props.manifestBucket, ...pipeline?.imageBuckets ?? []]),
      outputBucket,
      outputPrefix,
      projectVersion,
      perImageExecutions,
    });
  }
}

const ENGINE_PROPERTY: Readonly<Record<ModerationEngineKind, ModerationJobResourceProperties['Engine']>> = {
  [ModerationEngineKind.BULK]: undefined,
  [ModerationEngineKind.PER_IMAGE]: ModerationJobEngine.PER_IMAGE,
  [ModerationEngineKind.AUTO]: ModerationJobEngine.AUTO,
};

/** DescribeExecution on the per-image workflow's executions (a retried Create, and isComplete). */
function describeRunsStatement(executionsArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: 'DescribePerImageRuns', actions: ['states:DescribeExecution'], resources: [executionsArn] });
}

function jobStatusStatement(): iam.PolicyStatement {
  // GetMediaAnalysisJob has no resource type: it can only be granted on '*'.
  return new iam.PolicyStatement({ sid: 'ReadJobStatus', actions: ['rekognition:GetMediaAnalysisJob'], resources: ['*'] });
}

function withoutUndefined(values: object): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function uniqueBuckets(buckets: s3.IBucket[]): s3.IBucket[] {
  return [...new Set(buckets)];
}
