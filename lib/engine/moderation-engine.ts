import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { PropErrors } from '../common/prop-errors';
import { ModerationJobEngine } from '../job/moderation-job-contract';
import { DEFAULT_IMAGES_PER_SECOND, DEFAULT_MAX_FAILURE_SHARE } from '../per-image/per-image-contract';
import { PerImageWorkflow } from '../per-image/per-image-workflow';
import { checkPerImageRunOptions } from '../per-image/validate-per-image-props';
import { TriggerEngine } from '../trigger/trigger-contract';
import type { JobEngineBinding, JobEngineContext, PipelineEngineBinding, PipelineEngineContext } from './engine-binding';

/**
 * Options of the per-image engine.
 */
export interface PerImageEngineOptions {
  /**
   * DetectModerationLabels calls per second that one manifest's run aims at (1-1000). Keep it
   * below your account's DetectModerationLabels quota in the Region, shared with everything else
   * that calls it; throttled calls are retried with backoff, so a too-high value costs retries,
   * not images. It sizes the workflow's Distributed Map at synth, so it cannot be a token.
   *
   * @default 5 (the lowest published default quota)
   */
  readonly imagesPerSecond?: number;

  /**
   * Share of a manifest's lines (0-1) that may fail (invalid lines, images Rekognition refuses)
   * before the run is reported FAILED. Failed lines are listed in the summary either way.
   *
   * @default 0.1
   */
  readonly maxFailureShare?: number;

  /**
   * Longest run of one manifest (at least 15 minutes).
   *
   * @default Duration.days(1)
   */
  readonly timeout?: Duration;
}

/** The kinds of engine, for display (the trigger's environment has its own values). */
export enum ModerationEngineKind {
  BULK = 'bulk',
  PER_IMAGE = 'per-image',
  AUTO = 'auto',
}

const DEFAULT_PER_IMAGE_TIMEOUT = Duration.days(1);

/**
 * How a manifest is moderated: one Rekognition bulk analysis job (StartMediaAnalysisJob), or
 * image by image (DetectModerationLabels) in a Step Functions workflow, for accounts without
 * bulk analysis. Both read the same manifests and write the same files and events.
 *
 * Each engine adds what it needs to the pipeline (or ModerationJob) it is given to.
 */
export abstract class ModerationEngine {
  /** StartMediaAnalysisJob: one bulk analysis job per manifest. Needs an account with bulk analysis. */
  public static bulk(): ModerationEngine {
    return new BulkEngine();
  }

  /** DetectModerationLabels image by image, in a Step Functions Distributed Map. Works in every account. */
  public static perImage(options: PerImageEngineOptions = {}): ModerationEngine {
    return new WorkflowEngine(PER_IMAGE, options);
  }

  /**
   * Bulk analysis, falling back to the per-image engine for a manifest when the account is
   * refused bulk analysis; the completion event says so (`engine`, `fallbackReason`).
   */
  public static auto(options: PerImageEngineOptions = {}): ModerationEngine {
    return new WorkflowEngine(AUTO, options);
  }

  /** Which engine (for display). */
  public abstract readonly kind: ModerationEngineKind;

  /** Options of the per-image engine (for PER_IMAGE and AUTO; empty for BULK). */
  public readonly perImageOptions: PerImageEngineOptions;

  protected constructor(perImageOptions: PerImageEngineOptions) {
    this.perImageOptions = perImageOptions;
  }

  /** Whether this engine needs the per-image workflow. */
  public abstract get usesPerImage(): boolean;

  /**
   * How prop errors name the engine: `ModerationEngine.perImage()`.
   *
   * @internal
   */
  public abstract readonly _name: string;

  /**
   * Whether the trigger (or a ModerationJob's handlers) start bulk analysis jobs.
   *
   * @internal
   */
  public abstract readonly _startsBulkJobs: boolean;

  /**
   * Adds the problems of the engine's options for a pipeline, named `${prop}.<option>`.
   *
   * @internal
   */
  public abstract _checkPipelineOptions(errors: PropErrors, prop: string): void;

  /**
   * Adds what the engine needs to a pipeline: the trigger's engine setting and, for engines that
   * moderate image by image, the per-image workflow, which it returns.
   *
   * @internal
   */
  public abstract _bindPipeline(context: PipelineEngineContext): PipelineEngineBinding;

  /**
   * Adds the problems of the engine as a ModerationJob's, named `${prop}.<option>`.
   *
   * @internal
   */
  public abstract _checkJob(errors: PropErrors, prop: string, context: JobEngineContext): void;

  /**
   * What a ModerationJob's handlers and custom resource need for this engine.
   *
   * @internal
   */
  public abstract _bindJob(context: JobEngineContext): JobEngineBinding;
}

class BulkEngine extends ModerationEngine {
  public readonly kind = ModerationEngineKind.BULK;
  public readonly _name = 'ModerationEngine.bulk()';
  public readonly _startsBulkJobs = true;

  constructor() {
    super({});
  }

  public get usesPerImage(): boolean {
    return false;
  }

  public _checkPipelineOptions(): void {
    // No options.
  }

  public _bindPipeline(): PipelineEngineBinding {
    return { triggerEngine: TriggerEngine.BULK };
  }

  public _checkJob(): void {
    // Any job can start a bulk analysis job.
  }

  public _bindJob(): JobEngineBinding {
    // No Engine property: resources deployed before it existed keep their properties.
    return { startsBulkJobs: true, properties: {} };
  }
}

/** What tells the engines that run manifests on the per-image workflow apart. */
interface WorkflowEngineSpec {
  readonly kind: ModerationEngineKind;
  readonly name: string;
  /** auto() starts a bulk job first; perImage() never does. */
  readonly startsBulkJobs: boolean;
  readonly triggerEngine: TriggerEngine;
  readonly jobEngine: NonNullable<JobEngineBinding['properties']['Engine']>;
}

const PER_IMAGE: WorkflowEngineSpec = {
  kind: ModerationEngineKind.PER_IMAGE,
  name: 'ModerationEngine.perImage()',
  startsBulkJobs: false,
  triggerEngine: TriggerEngine.PER_IMAGE,
  jobEngine: ModerationJobEngine.PER_IMAGE,
};

const AUTO: WorkflowEngineSpec = {
  kind: ModerationEngineKind.AUTO,
  name: 'ModerationEngine.auto()',
  startsBulkJobs: true,
  triggerEngine: TriggerEngine.AUTO,
  jobEngine: ModerationJobEngine.AUTO,
};

/** The engines that run manifests on the per-image workflow: always (perImage), or after a refusal (auto). */
class WorkflowEngine extends ModerationEngine {
  public readonly kind: ModerationEngineKind;
  public readonly _name: string;
  public readonly _startsBulkJobs: boolean;

  constructor(private readonly spec: WorkflowEngineSpec, options: PerImageEngineOptions) {
    super(options);
    this.kind = spec.kind;
    this._name = spec.name;
    this._startsBulkJobs = spec.startsBulkJobs;
  }

  public get usesPerImage(): boolean {
    return true;
  }

  public _checkPipelineOptions(errors: PropErrors, prop: string): void {
    checkPerImageRunOptions(errors, `${prop}.`, this.perImageOptions);
  }

  public _bindPipeline(context: PipelineEngineContext): PipelineEngineBinding {
    const options = this.perImageOptions;
    const workflow = new PerImageWorkflow(context.scope, 'PerImage', {
      ...context.workflow,
      imagesPerSecond: options.imagesPerSecond ?? DEFAULT_IMAGES_PER_SECOND,
      maxFailureShare: options.maxFailureShare ?? DEFAULT_MAX_FAILURE_SHARE,
      timeout: options.timeout ?? DEFAULT_PER_IMAGE_TIMEOUT,
    });
    workflow.stateMachine.grantStartExecution(context.triggerRole);
    // Runs of many manifests share the rate: the trigger starts one when the one before has ended.
    context.triggerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CountPerImageRuns',
      actions: ['states:ListExecutions'],
      resources: [workflow.stateMachine.stateMachineArn],
    }));
    return { triggerEngine: this.spec.triggerEngine, perImageWorkflow: workflow.stateMachine };
  }

  /**
   * A job's run is an execution of its pipeline's workflow, sized and timed by the pipeline's
   * engine: options given to the job's engine would be ignored, so they are refused.
   */
  public _checkJob(errors: PropErrors, prop: string, context: JobEngineContext): void {
    for (const [option, value] of Object.entries(this.perImageOptions)) {
      if (value === undefined) continue;
      errors.add(`${prop}.${option} cannot be given to a ModerationJob's engine: the job runs on its pipeline's per-image workflow, `
        + `whose engine sets it; give ${this._name} without options (given ${shown(value)})`);
    }
    if (context.pipelineWorkflow === undefined) {
      const given = context.pipeline ? `pipeline ${context.pipeline.path} with engine '${context.pipeline.engineName}'` : 'no pipeline';
      errors.add(`${prop} ${this._name} needs a pipeline whose engine uses the per-image workflow (ModerationEngine.perImage() or auto()): `
        + `the job runs the manifest on that pipeline's workflow (given ${given})`);
    }
  }

  public _bindJob(context: JobEngineContext): JobEngineBinding {
    return {
      startsBulkJobs: this._startsBulkJobs,
      perImageWorkflow: context.pipelineWorkflow,
      properties: { Engine: this.spec.jobEngine, PerImageStateMachineArn: context.pipelineWorkflow?.stateMachineArn },
    };
  }
}

function shown(value: unknown): string {
  if (value instanceof Duration) return value.isUnresolved() ? 'a token' : value.toHumanString();
  return typeof value === 'number' && Token.isUnresolved(value) ? Token.asString(value) : String(value);
}
