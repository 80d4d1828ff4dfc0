import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { claimsFolder } from '../ingest/ingest-contract';
import { WORKFLOW_RETRYABLE_ERRORS } from '../common/contract/error-names';
import { createLogGroup, LogGroupEncryption } from '../common/encrypted-log-groups';
import { FunctionNetwork } from '../common/function-network';
import { acknowledgeDistributedMapGrants, acknowledgeGrant, acknowledgeInvokeGrants, grantWithReason } from '../common/grants';
import { HandlerFunction } from '../common/handler-function';
import { tokenAwareString } from '../common/token-string';
import { DEFAULT_IMAGE_SUFFIXES, MAX_IMAGES_PER_MANIFEST } from '../ingest/ingest-contract';
import { PrefixScopedResultWriter } from '../per-image/per-image-s3-access';
import { PIPELINE_DEFAULTS } from '../pipeline/pipeline-defaults';
import { createReportingStateMachine } from '../tracking/reporting-state-machine';
import {
  backfillEnvironment,
  backfillManifestFolder,
  BackfillMetrics,
  MAP_RESULTS_FOLDER,
  MAX_BATCH_INPUT_BYTES,
  ObjectSource,
  SUMMARIZE_HANDLER,
  WRITE_MANIFESTS_HANDLER,
} from './backfill-contract';
import { PrefixScopedObjectsItemReader, ScopedInventoryItemReader } from './backfill-item-readers';
import type { ModerationBackfillProps } from './moderation-backfill-props';
import { StartOnDeploy } from './start-on-deploy';
import { validateBackfillProps } from './validate-backfill-props';

/** Batches written at once: S3 PUTs and the pipeline's trigger take them easily, Lambda stays small. */
const MAX_CONCURRENCY = 10;
/** A run of many millions of objects ends well within this. */
const WORKFLOW_TIMEOUT = Duration.hours(24);
/** The Distributed Map's label, which names its Map Runs. */
const MAP_LABEL = 'Objects';

/**
 * Moderates every image already stored under a prefix: a Standard workflow whose Distributed Map
 * lists the objects (ListObjectsV2, or an S3 Inventory report), hands them in batches (up to
 * `maxImagesPerManifest` objects within Step Functions' 256 KiB input) to a function that writes
 * each batch's manifests and skip report into the pipeline, create-only and named after the
 * batch's contents, then adds up the progress for the execution's output.
 *
 * Running it again over unchanged objects writes nothing new, so nothing is paid twice; a failed
 * run can be redriven (`aws stepfunctions redrive-execution`) and carries on where it failed.
 */
export class ModerationBackfill extends Construct {
  /** The workflow; start it with `aws stepfunctions start-execution --state-machine-arn <arn>`. */
  public readonly stateMachine: sfn.StateMachine;
  /** The workflow's ARN (for a CfnOutput). */
  public readonly stateMachineArn: string;
  /** The backfill's name: its folder below `<manifestPrefix>backfill/` and its metrics' dimension. */
  public readonly backfillName: string;
  /** Where manifests, skip reports and run results are written in the pipeline's input bucket. */
  public readonly manifestFolder: string;
  /** The function that writes one batch's manifests. */
  public readonly writerFunction: lambda.IFunction;
  /** The function that adds up a run's progress. */
  public readonly summaryFunction: lambda.IFunction;
  /** The workflow's execution log. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ModerationBackfillProps) {
    super(scope, id);
    const pipeline = props.pipeline;
    const prefix = props.prefix ?? '';
    const suffixes = props.suffixes ?? [...DEFAULT_IMAGE_SUFFIXES];
    const maxImagesPerManifest = props.maxImagesPerManifest ?? MAX_IMAGES_PER_MANIFEST;
    const manifestSuffixes = pipeline.manifestSuffixes;
    validateBackfillProps(this.node.path, props, { prefix, suffixes, maxImagesPerManifest, manifestSuffixes });
    // The exported Map results are JSON Lines (ResultWriterV2's WriterConfig) whatever the app's flags.
    this.node.setContext(cxapi.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
    FunctionNetwork.place(this, props);
    LogGroupEncryption.enable(this, pipeline.encryptionKey);

    const logRetention = props.logRetention ?? PIPELINE_DEFAULTS.logRetention;
    const removalPolicy = props.removalPolicy ?? PIPELINE_DEFAULTS.removalPolicy;
    this.backfillName = `${id.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40) || 'backfill'}-${this.node.addr.slice(0, 8)}`;
    this.manifestFolder = backfillManifestFolder(pipeline.manifestPrefix, this.backfillName);

    const environment = backfillEnvironment({
      backfillName: this.backfillName,
      imageBucket: props.bucket.bucketName,
      imagePrefix: prefix,
      imageSuffixes: suffixes,
      manifestBucket: pipeline.inputBucket.bucketName,
      manifestFolder: this.manifestFolder,
      manifestSuffix: manifestSuffixes[0],
      maxImagesPerManifest,
    }, tokenAwareString);
    const common = { asset: 'backfill', environment, logRetention, removalPolicy };
    const writer = new HandlerFunction(this, 'WriteManifests', {
      ...common,
      exportName: WRITE_MANIFESTS_HANDLER,
      description: 'Writes the manifests and skip report of one batch of stored objects to backfill',
      timeout: Duration.minutes(2),
      memorySize: 512,
    });
    const summary = new HandlerFunction(this, 'Summarize', {
      ...common,
      exportName: SUMMARIZE_HANDLER,
      description: 'Adds up the progress of a backfill run from its Map Run results',
      timeout: Duration.minutes(5),
      memorySize: 512,
    });
    this.writerFunction = writer.function;
    this.summaryFunction = summary.function;
    this.grantFunctions(props, writer, summary);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = createReportingStateMachine(this, {
      definition: () => this.definition(props, prefix, maxImagesPerManifest),
      timeout: WORKFLOW_TIMEOUT,
      comment: 'Lists stored images and writes them into the moderation pipeline as manifests',
      logRetention,
      removalPolicy,
    }));
    this.stateMachineArn = this.stateMachine.stateMachineArn;
    // Writes and reads the Map results in the pipeline's input bucket, under the pipeline's key.
    pipeline.encryptionKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    props.inventoryManifest?.bucket.encryptionKey?.grant(this.stateMachine, 'kms:Decrypt');
    this.acknowledgeWorkflowGrants(props);

    if (props.startOnDeploy) {
      const start = new StartOnDeploy(this, 'StartOnDeploy', {
        stateMachine: this.stateMachine,
        executionName: `deploy-${this.node.addr}`,
        logGroup: createLogGroup(this, 'StartOnDeployLogs', { retention: logRetention, removalPolicy }),
      });
      // The run must not start before the functions (and their roles' policies) exist.
      start.node.addDependency(writer, summary);
    }
  }

  /** Objects listed (sum over 5 minutes). */
  public metricObjectsListed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(BackfillMetrics.OBJECTS_LISTED, options);
  }

  /** Manifests written, each a job of the pipeline (sum over 5 minutes). */
  public metricManifestsWritten(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(BackfillMetrics.MANIFESTS_WRITTEN, options);
  }

  /** Objects put in skip reports: not an image, empty or over 15 MB (sum over 5 minutes). */
  public metricImagesSkipped(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(BackfillMetrics.IMAGES_SKIPPED, options);
  }

  /** Images in the manifests written, sent to moderation (sum over 5 minutes). */
  public metricImagesQueued(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(BackfillMetrics.IMAGES_QUEUED, options);
  }

  private metric(metricName: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: BackfillMetrics.NAMESPACE,
      metricName,
      dimensionsMap: { [BackfillMetrics.DIMENSION]: this.backfillName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }

  private grantFunctions(props: ModerationBackfillProps, writer: HandlerFunction, summary: HandlerFunction): void {
    const inputBucket = props.pipeline.inputBucket;
    grantWithReason(writer.role, {
      sid: 'WriteBackfillManifests',
      actions: ['s3:PutObject'],
      resources: [inputBucket.arnForObjects(`${this.manifestFolder}*`)],
      reason: 'Manifests and skip reports named after their batch\'s contents, only in this backfill\'s folder of the manifest prefix.',
    });
    grantWithReason(writer.role, {
      sid: 'ReadBackfillClaims',
      actions: ['s3:GetObject'],
      resources: [inputBucket.arnForObjects(`${claimsFolder(this.manifestFolder)}*`)],
      reason: 'A claim found written is read to see which batch wrote it; claims are named after the object version, only in this backfill\'s claims folder.',
    });
    props.pipeline.encryptionKey.grant(writer.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    grantWithReason(summary.role, {
      sid: 'ReadBackfillRunResults',
      actions: ['s3:GetObject'],
      resources: [inputBucket.arnForObjects(`${this.manifestFolder}${MAP_RESULTS_FOLDER}*`)],
      reason: 'The Distributed Map\'s result files, named by Step Functions after the Map Run, only in this backfill\'s runs/ folder.',
    });
    props.pipeline.encryptionKey.grant(summary.role, 'kms:Decrypt');
  }

  private definition(props: ModerationBackfillProps, prefix: string, maxImagesPerManifest: number): sfn.IChainable {
    const source = props.inventoryManifest ? ObjectSource.INVENTORY : ObjectSource.LIST;
    const map = new sfn.DistributedMap(this, 'WriteManifestsOfListedObjects', {
      comment: 'Lists the objects and writes manifests of them, batch by batch',
      itemReader: props.inventoryManifest
        ? new ScopedInventoryItemReader(props.inventoryManifest.bucket, props.inventoryManifest.key)
        : new PrefixScopedObjectsItemReader(props.bucket, prefix),
      // ListObjectsV2 items are {Etag, Key, LastModified, Size, StorageClass} (the developer guide's
      // "ItemReader": note `Etag`); only what the writer needs is kept, so more fit in a batch.
      // Inventory rows have the fields the inventory was configured with, so they are kept whole.
      ...(source === ObjectSource.LIST && {
        itemSelector: {
          'Key.$': '$$.Map.Item.Value.Key',
          'Size.$': '$$.Map.Item.Value.Size',
          'ETag.$': '$$.Map.Item.Value.Etag',
        },
      }),
      itemBatcher: new sfn.ItemBatcher({
        maxItemsPerBatch: Token.isUnresolved(maxImagesPerManifest) ? MAX_IMAGES_PER_MANIFEST : maxImagesPerManifest,
        maxInputBytesPerBatch: MAX_BATCH_INPUT_BYTES,
        batchInput: { source },
      }),
      maxConcurrency: MAX_CONCURRENCY,
      // Each child is one short Lambda call: Express. A failed batch fails the run, to be redriven.
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      toleratedFailurePercentage: 0,
      resultWriterV2: new PrefixScopedResultWriter({
        bucket: props.pipeline.inputBucket,
        prefix: `${this.manifestFolder}${MAP_RESULTS_FOLDER}`.replace(/\/$/, ''),
        // JSON, not JSONL: result files must not end like a manifest (`.jsonl`) in the manifest prefix.
        writerConfig: new sfn.WriterConfig({ outputType: sfn.OutputType.JSON, transformation: sfn.Transformation.COMPACT }),
      }, `${this.manifestFolder}${MAP_RESULTS_FOLDER}`),
      resultPath: '$.mapRun',
      label: MAP_LABEL,
    });
    const write = new tasks.LambdaInvoke(this, 'WriteBatchManifests', {
      lambdaFunction: this.writerFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    write.addRetry(transientRetry(Duration.seconds(2), 4));
    map.itemProcessor(write);

    const summarize = new tasks.LambdaInvoke(this, 'AddUpProgress', {
      lambdaFunction: this.summaryFunction,
      payload: sfn.TaskInput.fromObject({ 'ResultWriterDetails.$': '$.mapRun.ResultWriterDetails' }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.progress',
    });
    summarize.addRetry(transientRetry(Duration.seconds(5), 6));
    const done = new sfn.Pass(this, 'Done', {
      parameters: {
        'progress.$': '$.progress',
        'mapRunArn.$': '$.mapRun.MapRunArn',
        manifestFolder: `s3://${props.pipeline.inputBucket.bucketName}/${this.manifestFolder}`,
      },
    });
    return map.next(summarize).next(done);
  }

  /** The grants aws-cdk-lib writes for the tasks, the result writer and the Distributed Map. */
  private acknowledgeWorkflowGrants(props: ModerationBackfillProps): void {
    const stateMachine = this.stateMachine;
    acknowledgeInvokeGrants(stateMachine, [this.writerFunction, this.summaryFunction]);
    acknowledgeGrant(stateMachine, {
      resources: [props.pipeline.inputBucket.arnForObjects(`${this.manifestFolder}${MAP_RESULTS_FOLDER}*`)],
      reason: 'The Distributed Map\'s ResultWriter writes its result files, named after the Map Run, only in this backfill\'s runs/ folder.',
    });
    if (props.inventoryManifest) {
      acknowledgeGrant(stateMachine, {
        resources: [props.inventoryManifest.bucket.arnForObjects(`${ScopedInventoryItemReader.inventoryFolder(props.inventoryManifest.key)}*`)],
        reason: 'The S3 Inventory item reader reads the report\'s manifest.json and the data files it lists, named by S3 Inventory, in the inventory configuration\'s folder.',
      });
    }
    acknowledgeDistributedMapGrants(stateMachine, MAP_LABEL);
  }
}

/** Lambda's and S3's hiccups; the Express child (5 minutes) holds every attempt. */
function transientRetry(interval: Duration, maxAttempts: number): sfn.RetryProps {
  return {
    errors: [...WORKFLOW_RETRYABLE_ERRORS],
    interval,
    backoffRate: 2,
    maxAttempts,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  };
}
