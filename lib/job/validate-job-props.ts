import { Duration, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { JobEngineContext } from '../engine/engine-binding';
import { ModerationEngine } from '../engine/moderation-engine';
import type { ModerationJobProps } from './moderation-job-props';
import { PropErrors } from '../common/prop-errors';
import { validateFunctionNetwork } from '../common/function-network';
import { jobNameProblem, minConfidenceProblem, outputPrefixProblem, projectVersionProblem } from '../trigger/trigger-contract';

/** The job's engine: the given one, else the pipeline's, else bulk. */
export function jobEngine(props: Pick<ModerationJobProps, 'engine' | 'pipeline'>): ModerationEngine {
  return props.engine ?? props.pipeline?.engine ?? ModerationEngine.bulk();
}

/** The job's pipeline, as its engine sees it. */
export function jobEngineContext(props: Pick<ModerationJobProps, 'pipeline'>): JobEngineContext {
  const pipeline = props.pipeline;
  return {
    pipelineWorkflow: pipeline?.perImageStateMachine,
    pipeline: pipeline && { path: pipeline.node.path, engineName: pipeline.engine.kind },
  };
}

/** Checks every ModerationJob prop at synth time; all problems are reported in one error. */
export function validateJobProps(constructPath: string, props: ModerationJobProps): void {
  const errors = new PropErrors();
  if (!props.outputBucket && !props.pipeline) {
    errors.add('outputBucket is required when no pipeline is given');
  }
  errors.stringLength('manifestKey', props.manifestKey, 1, 1024);
  // The handler reads the resource properties with the same checks (lib/trigger/trigger-contract.ts).
  errors.satisfies('minConfidence', props.minConfidence, minConfidenceProblem);
  errors.satisfies('projectVersion', props.projectVersion, projectVersionProblem);
  errors.satisfies('jobName', props.jobName, jobNameProblem);
  errors.satisfies('outputPrefix', props.outputPrefix, outputPrefixProblem);
  if (props.completionTimeout && !props.completionTimeout.isUnresolved()) {
    const seconds = props.completionTimeout.toSeconds();
    if (seconds < 60 || seconds > 3600) {
      errors.add(`completionTimeout must be between 1 and 60 minutes, the custom-resource provider's limit (given ${props.completionTimeout.toHumanString()})`);
    }
  }
  if (props.pollInterval && !props.pollInterval.isUnresolved()) {
    const seconds = props.pollInterval.toSeconds();
    if (seconds < 10 || seconds > 600) {
      errors.add(`pollInterval must be between 10 seconds and 10 minutes (given ${props.pollInterval.toHumanString()})`);
    }
  }
  const timeout = props.completionTimeout ?? Duration.hours(1);
  const interval = props.pollInterval ?? Duration.minutes(1);
  if (props.waitForCompletion && !timeout.isUnresolved() && !interval.isUnresolved()
    && (interval.toSeconds() > timeout.toSeconds() || timeout.toSeconds() % interval.toSeconds() !== 0)) {
    errors.add(`pollInterval must divide completionTimeout into whole polls, as the custom-resource provider requires (given ${interval.toHumanString()} and ${timeout.toHumanString()})`);
  }
  if (!props.waitForCompletion && (props.completionTimeout || props.pollInterval)) {
    errors.add('completionTimeout and pollInterval only apply with waitForCompletion: true');
  }
  validateEngine(errors, props);
  validateReportCompletion(errors, props);
  validateFunctionNetwork(errors, props);
  errors.throwIfAny(constructPath);
}

/**
 * The engine's own problems (options a job would ignore, a pipeline without the workflow it needs);
 * then, when the job runs on its pipeline's per-image workflow, which reads manifests only from the
 * pipeline's input bucket under its manifest prefix and moderates with the pipeline's settings:
 * the job's own settings must agree, or the run would fail or differ from what the props say.
 */
function validateEngine(errors: PropErrors, props: ModerationJobProps): void {
  const engine = jobEngine(props);
  const context = jobEngineContext(props);
  // The pipeline's own engine, inherited, has its workflow and options by construction.
  if (props.engine) props.engine._checkJob(errors, 'engine', context);
  const pipeline = props.pipeline;
  if (!pipeline || engine._bindJob(context).perImageWorkflow === undefined) return;
  const name = `engine ${engine._name}`;
  const differs = `cannot differ from the pipeline's with ${name}: the per-image workflow of pipeline ${pipeline.node.path} uses the pipeline's`;
  if (!sameValue(pipeline, props.manifestBucket.bucketName, pipeline.inputBucket.bucketName)) {
    errors.add(`manifestBucket must be the pipeline's inputBucket with ${name}: its per-image workflow reads manifests only from there`);
  } else if (!Token.isUnresolved(props.manifestKey) && !Token.isUnresolved(pipeline.manifestPrefix) && !props.manifestKey.startsWith(pipeline.manifestPrefix)) {
    errors.add(`manifestKey must start with the pipeline's manifestPrefix '${pipeline.manifestPrefix}' with ${name}: its per-image workflow reads manifests only from there (given '${props.manifestKey}')`);
  }
  if (props.outputBucket && !sameValue(pipeline, props.outputBucket.bucketName, pipeline.outputBucket.bucketName)) {
    errors.add(`outputBucket ${differs}`);
  }
  if (props.outputPrefix !== undefined && !Token.isUnresolved(props.outputPrefix) && !Token.isUnresolved(pipeline.outputPrefix)
    && !props.outputPrefix.startsWith(pipeline.outputPrefix)) {
    errors.add(`outputPrefix must start with the pipeline's outputPrefix '${pipeline.outputPrefix}' with ${name}: its per-image workflow writes only below it (given '${props.outputPrefix}')`);
  }
  if (props.encryptionKey && !sameValue(pipeline, props.encryptionKey.keyArn, pipeline.encryptionKey.keyArn)) {
    errors.add(`encryptionKey ${differs}`);
  }
  if (props.minConfidence !== undefined && !sameValue(pipeline, props.minConfidence, pipeline.minConfidence)) {
    errors.add(`minConfidence ${differs} (given ${props.minConfidence}, the pipeline's: ${pipeline.minConfidence ?? 'Rekognition\'s default'})`);
  }
  if (props.projectVersion !== undefined && !sameValue(pipeline, props.projectVersion, pipeline.projectVersion)) {
    errors.add(`projectVersion ${differs}`);
  }
}

/**
 * Whether the job's bulk job gets an execution of the pipeline's tracking workflow (see
 * `reportCompletion`): the prop, by default on when the tracking can read the job's results.
 */
export function reportsCompletion(props: ModerationJobProps): boolean {
  if (props.reportCompletion === false || !props.pipeline) return false;
  return trackingMismatches(props).length === 0;
}

/**
 * Why the pipeline's tracking workflow could not read this job's results: it reads only the
 * pipeline's output bucket, under its output prefix, with its key.
 */
export function trackingMismatches(props: ModerationJobProps): string[] {
  const pipeline = props.pipeline;
  if (!pipeline) return [];
  const mismatches: string[] = [];
  if (props.outputBucket && !sameValue(pipeline, props.outputBucket.bucketName, pipeline.outputBucket.bucketName)) {
    mismatches.push('outputBucket differs from the pipeline\'s');
  }
  if (props.outputPrefix !== undefined && !Token.isUnresolved(props.outputPrefix) && !Token.isUnresolved(pipeline.outputPrefix)
    && !props.outputPrefix.startsWith(pipeline.outputPrefix)) {
    mismatches.push(`outputPrefix '${props.outputPrefix}' is not under the pipeline's '${pipeline.outputPrefix}'`);
  }
  if (props.encryptionKey && !sameValue(pipeline, props.encryptionKey.keyArn, pipeline.encryptionKey.keyArn)) {
    mismatches.push('encryptionKey differs from the pipeline\'s');
  }
  return mismatches;
}

function validateReportCompletion(errors: PropErrors, props: ModerationJobProps): void {
  if (props.reportCompletion === true && !props.pipeline) {
    errors.add('reportCompletion needs a pipeline: its tracking workflow reports the job (given reportCompletion: true without one)');
  }
  const mismatches = props.reportCompletion === true ? trackingMismatches(props) : [];
  if (mismatches.length > 0) {
    errors.add(`reportCompletion: the pipeline's tracking workflow reads only the pipeline's output bucket, under its output prefix, with its key (${mismatches.join('; ')})`);
  }
  if (props.reportCompletion === false && !jobEngine(props)._bindJob(jobEngineContext(props)).startsBulkJobs) {
    errors.add(`reportCompletion cannot be false with engine ${jobEngine(props)._name}: a per-image run always reports itself (its workflow publishes the completion event)`);
  }
}

/** Equal values, tokens compared by what they resolve to. */
function sameValue(scope: IConstruct, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const stack = Stack.of(scope);
  return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
}
