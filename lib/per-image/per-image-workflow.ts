import { ArnFormat, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { publishCompletion } from '../tracking/completion-publisher';
import { createReportingStateMachine } from '../tracking/reporting-state-machine';
import { TRANSIENT_ERRORS } from '../tracking/job-tracking';
import { acknowledgeGrant, acknowledgeInvokeGrants } from '../common/grants';
import { PerImageFunctions } from './per-image-functions';
import { PrefixScopedJsonLItemReader, PrefixScopedResultWriter } from './per-image-s3-access';
import { sizePerImageRun, PerImageSizing } from './per-image-sizing';
import { validatePerImageProps } from './validate-per-image-props';
import type { PerImageWorkflowProps } from './per-image-workflow-props';


/** The Distributed Map's Label (part of its Map Runs' ARNs). */
export const MAP_LABEL = 'Images';

/** Rounds of the Distributed Map at most: the manifest's lines, then twice the lines not done. */
export const MAX_ROUNDS = 3;

/**
 * The per-image engine: one Standard execution per manifest, named after its token by the
 * trigger, that moderates the manifest image by image with DetectModerationLabels and ends in the
 * same completion event as a bulk analysis job.
 *
 * Prepare (Lambda: manifest -> items.jsonl + invalid lines) -> Distributed Map over items.jsonl,
 * batched, in Express children (Lambda: paced DetectModerationLabels calls) with ResultWriter ->
 * Finalize (Lambda: another round for lines not done, or the bulk-format output manifest and
 * summary and a GetMediaAnalysisJob-shaped description) -> the tracker -> the completion event.
 * Any error on the way is described as a FAILED job and reported the same way.
 */
export class PerImageWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: PerImageFunctions;
  public readonly logGroup: logs.LogGroup;
  public readonly sizing: PerImageSizing;

  constructor(scope: Construct, id: string, props: PerImageWorkflowProps) {
    super(scope, id);
    validatePerImageProps(this.node.path, props);
    // The exported Map results are JSON Lines (ResultWriterV2's WriterConfig) whatever the app's flags.
    this.node.setContext(cxapi.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);

    this.sizing = sizePerImageRun(Token.isUnresolved(props.imagesPerSecond) ? 5 : props.imagesPerSecond);
    this.functions = new PerImageFunctions(this, 'Functions', { ...props, sizing: this.sizing, maxRounds: MAX_ROUNDS });
    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = createReportingStateMachine(this, {
      definition: () => this.definition(props),
      timeout: props.timeout,
      comment: 'Moderates one manifest image by image (DetectModerationLabels) and publishes its completion event',
      completionTopic: props.completionTopic,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }));
    // Reads items and Map results, writes Map results (ResultWriter), all under the pipeline's key.
    props.encryptionKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.acknowledgeWorkflowGrants(props);
  }

  /** The grants aws-cdk-lib writes for the workflow's tasks, item reader, result writer and Distributed Map. */
  private acknowledgeWorkflowGrants(props: PerImageWorkflowProps): void {
    const stateMachine = this.stateMachine;
    acknowledgeGrant(stateMachine, {
      resources: [props.outputBucket.arnForObjects(`${props.outputPrefix}*`)],
      reason: 'The Distributed Map reads each manifest\'s items and its ResultWriter writes the Map results in that manifest\'s folder below the output prefix, named at run time.',
    });
    acknowledgeInvokeGrants(stateMachine, [this.functions.prepare.function, this.functions.batch.function, this.functions.finalize.function, props.trackerFunction]);
    const executions = (suffix: string) => Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${Fn.select(6, Fn.split(':', stateMachine.stateMachineArn))}${suffix}`,
    });
    const mapPolicy = stateMachine.node.findChild('DistributedMapPolicy');
    acknowledgeGrant(mapPolicy, {
      resources: [executions(':*')],
      reason: 'aws-cdk-lib\'s Distributed Map lets the workflow describe and stop its own child executions, whose names are generated at run time.',
    });
    acknowledgeGrant(mapPolicy, {
      resources: [executions(`/${MAP_LABEL}:*`)],
      reason: `aws-cdk-lib's Distributed Map lets the workflow redrive its own Map Runs (label "${MAP_LABEL}"), whose ids are generated at run time.`,
    });
  }

  private definition(props: PerImageWorkflowProps): sfn.IChainable {
    const describeFailure = new sfn.Pass(this, 'DescribeFailure', {
      comment: 'An error ended the run: describe it as a FAILED job, so it is reported like any other',
      parameters: {
        'JobId.$': '$$.Execution.Id',
        'Status': 'FAILED',
        'FailureDetails': { 'Code.$': '$.error.Error', 'Message.$': '$.error.Cause' },
        'CreationTimestamp.$': '$$.Execution.StartTime',
        'CompletionTimestamp.$': '$$.State.EnteredTime',
      },
      resultPath: '$.jobDescription',
    });
    const onError = { errors: ['States.ALL'], resultPath: '$.error' };
    const report = this.trackCompletion(props).next(publishCompletion(this, props));
    describeFailure.next(report);

    const prepare = this.invoke('Prepare', this.functions.prepare.function, {
      'token.$': '$.token',
      'manifest.$': '$.manifest',
      'output.$': '$.output',
      'startedAt.$': '$$.Execution.StartTime',
      'executionArn.$': '$$.Execution.Id',
    }, '$.prepared');
    prepare.addCatch(describeFailure, onError);

    const map = this.analyseImages(props);
    map.addCatch(describeFailure, onError);

    const finalize = this.invoke('Finalize', this.functions.finalize.function, {
      'token.$': '$.token',
      'output.$': '$.output',
      'prepared.$': '$.prepared',
      'work.$': '$.work',
      'mapRun.$': '$.map',
      'startedAt.$': '$$.Execution.StartTime',
      'executionArn.$': '$$.Execution.Id',
    }, '$.collect');
    finalize.addCatch(describeFailure, onError);

    const useRejection = new sfn.Pass(this, 'UseRejection', { inputPath: '$.prepared.jobDescription', resultPath: '$.jobDescription' });
    const useResult = new sfn.Pass(this, 'UseJobDescription', { inputPath: '$.collect.jobDescription', resultPath: '$.jobDescription' });
    const firstRound = new sfn.Pass(this, 'FirstRound', { inputPath: '$.prepared.work', resultPath: '$.work' });
    const nextRound = new sfn.Pass(this, 'NextRound', { inputPath: '$.collect.work', resultPath: '$.work' });
    const backOff = new sfn.Wait(this, 'BeforeNextRound', { time: sfn.WaitTime.secondsPath('$.work.waitSeconds') });

    useRejection.next(report);
    useResult.next(report);
    map.next(finalize).next(new sfn.Choice(this, 'AllLinesDone?')
      .when(sfn.Condition.booleanEquals('$.collect.done', true), useResult)
      .otherwise(nextRound.next(backOff).next(map)));

    return prepare.next(new sfn.Choice(this, 'ManifestAccepted?')
      .when(sfn.Condition.booleanEquals('$.prepared.accepted', true), firstRound.next(map))
      .otherwise(useRejection));
  }

  private analyseImages(props: PerImageWorkflowProps): sfn.DistributedMap {
    const map = new sfn.DistributedMap(this, 'AnalyseImages', {
      comment: 'DetectModerationLabels for every item of the round, in batches, at the configured rate',
      itemReader: new PrefixScopedJsonLItemReader({ bucket: props.outputBucket, key: sfn.JsonPath.stringAt('$.work.items.key') }, props.outputPrefix),
      itemBatcher: new sfn.ItemBatcher({
        // Sized per round by Prepare and Finalize: at most sizing.itemsPerBatch, in whole waves of MaxConcurrency.
        maxItemsPerBatchPath: '$.work.itemsPerBatch',
        // Rendered as written (aws-cdk-lib does not resolve JsonPath tokens here): paths on the Map's input.
        batchInput: { 'output.$': '$.output', 'round.$': '$.work.round' },
      }),
      maxConcurrency: this.sizing.maxConcurrency,
      // Express children: see docs/engines.md (cost, and why batches end well within 5 minutes).
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      // A failed batch does not fail the run: Finalize gives its lines another round.
      toleratedFailurePercentage: 100,
      resultWriterV2: new PrefixScopedResultWriter({
        bucket: props.outputBucket,
        prefix: sfn.JsonPath.stringAt('$.prepared.mapResultsPrefix'),
        writerConfig: new sfn.WriterConfig({ outputType: sfn.OutputType.JSONL, transformation: sfn.Transformation.COMPACT }),
      }, props.outputPrefix),
      resultPath: '$.map',
      label: MAP_LABEL,
    });
    const analyse = new tasks.LambdaInvoke(this, 'AnalyseBatch', {
      lambdaFunction: this.functions.batch.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    // Lambda's own hiccups, retried within the Express child's 5 minutes; throttling by
    // Rekognition never reaches here (the batch function retries it).
    analyse.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
    map.itemProcessor(analyse);
    return map;
  }

  private invoke(id: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
      retryOnServiceExceptions: false,
    });
    task.addRetry(transientRetry());
    return task;
  }

  /** The tracker gets the execution input (TrackingInput) with `jobDescription`, and answers the completion detail. */
  private trackCompletion(props: PerImageWorkflowProps): tasks.LambdaInvoke {
    const track = new tasks.LambdaInvoke(this, 'TrackCompletion', {
      lambdaFunction: props.trackerFunction,
      payloadResponseOnly: true,
      resultPath: '$.step',
      retryOnServiceExceptions: false,
    });
    track.addRetry(transientRetry());
    return track;
  }
}

function transientRetry(): sfn.RetryProps {
  return {
    errors: TRANSIENT_ERRORS,
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  };
}
