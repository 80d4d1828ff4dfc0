import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { ModerationJobResourceProperties } from '../job/moderation-job-contract';
import type { PerImageWorkflowProps } from '../per-image/per-image-workflow-props';
import type { TriggerEngine } from '../trigger/trigger-contract';

/**
 * What an engine binds to (internal: not exported from the library). The pipeline and
 * ModerationJob hand these over; the engine adds what it needs and answers what it added.
 */

/** The pipeline, as its engine sees it. */
export interface PipelineEngineContext {
  /** Where the engine adds its constructs (the pipeline). */
  readonly scope: Construct;
  /** The trigger's role: it starts the engine's runs. */
  readonly triggerRole: iam.IRole;
  /** The pipeline's settings for a per-image workflow; the engine adds its own options. */
  readonly workflow: Omit<PerImageWorkflowProps, 'imagesPerSecond' | 'maxFailureShare' | 'timeout'>;
}

/** What a pipeline's engine added, and the trigger's engine setting. */
export interface PipelineEngineBinding {
  /** How the trigger moderates a manifest (its ENGINE variable). */
  readonly triggerEngine: TriggerEngine;
  /** The per-image workflow the trigger starts runs of, with engines perImage() and auto(). */
  readonly perImageWorkflow?: sfn.IStateMachine;
}

/** A ModerationJob, as its engine sees it. */
export interface JobEngineContext {
  /** The per-image workflow of the job's pipeline, when it has one. */
  readonly pipelineWorkflow?: sfn.IStateMachine;
  /** The job's pipeline (its path and engine), for messages; absent without a pipeline. */
  readonly pipeline?: { readonly path: string; readonly engineName: string };
}

/** What a ModerationJob needs from its engine. */
export interface JobEngineBinding {
  /** Whether the job's handlers start and check bulk analysis jobs. */
  readonly startsBulkJobs: boolean;
  /** The per-image workflow the job's handlers start and describe runs of. */
  readonly perImageWorkflow?: sfn.IStateMachine;
  /** The custom resource's engine properties (left out for bulk). */
  readonly properties: Pick<ModerationJobResourceProperties, 'Engine' | 'PerImageStateMachineArn'>;
}
