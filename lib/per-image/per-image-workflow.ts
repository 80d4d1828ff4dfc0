import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { publishCompletion } from '../tracking/completion-publisher';
import { createReportingStateMachine } from '../tracking/reporting-state-machine';
import { WORKFLOW_RETRYABLE_ERRORS } from '../common/contract/error-names';
import { acknowledgeDistributedMapGrants, acknowledgeGrant, acknowledgeInvokeGrants } from '../common/grants';
import { DEFAULT_IMAGES_PER_SECOND, DEFAULT_MAX_ROUNDS, type PerImageSizing, sizePerImageRun } from './per-image-contract';
import { PerImageFunctions } from './per-image-functions';
import { PrefixScopedJsonLItemReader, PrefixScopedResultWriter } from './per-image-s3-access';
import {
  BATCH_INPUT_PARAMETERS,
  DESCRIBE_FAILURE_PARAMETERS,
  FINALIZE_PARAMETERS,
  MAP_LABEL,
  PerImagePath as Path,
  PerImageState as State,
  PREPARE_PARAMETERS,
} from './per-image-workflow-contract';
import { validatePerImageProps } from './validate-per-image-props';
import type { PerImageWorkflowProps } from './per-image-workflow-props';

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

    // Validated: a token is refused (it sizes the Map); the default only keeps a failed synth going.
    this.sizing = sizePerImageRun(Token.isUnresolved(props.imagesPerSecond) ? DEFAULT_IMAGES_PER_SECOND : props.imagesPerSecond);
    this.functions = new PerImageFunctions(this, 'Functions', { ...props, sizing: this.sizing, maxRounds: DEFAULT_MAX_ROUNDS });
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
    acknowledgeInvokeGrants(stateMachine, [this.functions.prepare.function, this.functions.batch.function, this.functions.finalize.function, props.trackerFunction,
      ...props.actionsFunction ? [props.actionsFunction] : []]);
    acknowledgeDistributedMapGrants(stateMachine, MAP_LABEL);
  }

  private definition(props: PerImageWorkflowProps): sfn.IChainable {
    const describeFailure = new sfn.Pass(this, State.DESCRIBE_FAILURE, {
      comment: 'An error ended the run: describe it as a FAILED job, so it is reported like any other',
      parameters: DESCRIBE_FAILURE_PARAMETERS,
      resultPath: Path.JOB_DESCRIPTION,
    });
    const onError = { errors: ['States.ALL'], resultPath: Path.ERROR };
    const report = this.trackCompletion(props).next(publishCompletion(this, props));
    describeFailure.next(report);

    const prepare = this.invoke(State.PREPARE, this.functions.prepare.function, PREPARE_PARAMETERS, Path.PREPARED);
    prepare.addCatch(describeFailure, onError);

    const map = this.analyseImages(props);
    map.addCatch(describeFailure, onError);

    const finalize = this.invoke(State.FINALIZE, this.functions.finalize.function, FINALIZE_PARAMETERS, Path.COLLECT);
    finalize.addCatch(describeFailure, onError);

    const useRejection = new sfn.Pass(this, State.USE_REJECTION, { inputPath: Path.REJECTION, resultPath: Path.JOB_DESCRIPTION });
    const useResult = new sfn.Pass(this, State.USE_JOB_DESCRIPTION, { inputPath: Path.COLLECT_JOB_DESCRIPTION, resultPath: Path.JOB_DESCRIPTION });
    const firstRound = new sfn.Pass(this, State.FIRST_ROUND, { inputPath: Path.PREPARED_WORK, resultPath: Path.WORK });
    const nextRound = new sfn.Pass(this, State.NEXT_ROUND, { inputPath: Path.COLLECT_WORK, resultPath: Path.WORK });
    const backOff = new sfn.Wait(this, State.BEFORE_NEXT_ROUND, { time: sfn.WaitTime.secondsPath(Path.WORK_WAIT_SECONDS) });

    useRejection.next(report);
    useResult.next(report);
    map.next(finalize).next(new sfn.Choice(this, State.ALL_LINES_DONE)
      .when(sfn.Condition.booleanEquals(Path.COLLECT_DONE, true), useResult)
      .otherwise(nextRound.next(backOff).next(map)));

    return prepare.next(new sfn.Choice(this, State.MANIFEST_ACCEPTED)
      .when(sfn.Condition.booleanEquals(Path.PREPARED_ACCEPTED, true), firstRound.next(map))
      .otherwise(useRejection));
  }

  private analyseImages(props: PerImageWorkflowProps): sfn.DistributedMap {
    const map = new sfn.DistributedMap(this, State.ANALYSE_IMAGES, {
      comment: 'DetectModerationLabels for every item of the round, in batches, at the configured rate',
      itemReader: new PrefixScopedJsonLItemReader({ bucket: props.outputBucket, key: sfn.JsonPath.stringAt(Path.WORK_ITEMS_KEY) }, props.outputPrefix),
      itemBatcher: new sfn.ItemBatcher({
        // Sized per round by Prepare and Finalize: at most sizing.itemsPerBatch, in whole waves of MaxConcurrency.
        maxItemsPerBatchPath: Path.WORK_ITEMS_PER_BATCH,
        // Rendered as written (aws-cdk-lib does not resolve JsonPath tokens here): paths on the Map's input.
        batchInput: BATCH_INPUT_PARAMETERS,
      }),
      maxConcurrency: this.sizing.maxConcurrency,
      // Express children: see docs/engines.md (cost, and why batches end well within 5 minutes).
      mapExecutionType: sfn.StateMachineType.EXPRESS,
      // A failed batch does not fail the run: Finalize gives its lines another round.
      toleratedFailurePercentage: 100,
      resultWriterV2: new PrefixScopedResultWriter({
        bucket: props.outputBucket,
        prefix: sfn.JsonPath.stringAt(Path.PREPARED_MAP_RESULTS_PREFIX),
        writerConfig: new sfn.WriterConfig({ outputType: sfn.OutputType.JSONL, transformation: sfn.Transformation.COMPACT }),
      }, props.outputPrefix),
      resultPath: Path.MAP_RUN,
      label: MAP_LABEL,
    });
    const analyse = new tasks.LambdaInvoke(this, State.ANALYSE_BATCH, {
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
    const track = new tasks.LambdaInvoke(this, State.TRACK_COMPLETION, {
      lambdaFunction: props.trackerFunction,
      payloadResponseOnly: true,
      resultPath: Path.STEP,
      retryOnServiceExceptions: false,
    });
    track.addRetry(transientRetry());
    return track;
  }
}

function transientRetry(): sfn.RetryProps {
  return {
    errors: [...WORKFLOW_RETRYABLE_ERRORS],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  };
}
