import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { JOB_COMPLETED_DETAIL_TYPE, MODERATION_EVENT_SOURCE } from './completion-event-contract';
import { PropErrors } from '../common/prop-errors';

/** `detail.status` of a completion event. */
export enum JobStatus {
  /** The job finished and its results were counted. */
  SUCCEEDED = 'SUCCEEDED',
  /** The manifest failed: see `detail.failure.stage` for where. */
  FAILED = 'FAILED',
}

/**
 * Options of {@link ModerationPipeline.onJobCompleted}.
 */
export interface JobCompletedRuleOptions extends events.OnEventOptions {
  /**
   * Only events with this `detail.status`.
   *
   * @default - every completion event
   */
  readonly status?: JobStatus;

  /**
   * Only events with this `detail.status`: 'SUCCEEDED' or 'FAILED'.
   *
   * @default - every completion event
   * @deprecated use `status`
   */
  readonly detailStatus?: string;
}

/** Where the rule listens and for which pipeline. */
export interface JobCompletedRuleSource {
  readonly eventBus: events.IEventBus;
  readonly pipelineId: string;
}

/** A rule matching the completion events of one pipeline, with the options' target and pattern. */
export function createJobCompletedRule(scope: Construct, id: string, source: JobCompletedRuleSource, options: JobCompletedRuleOptions): events.Rule {
  const status = ruleStatus(scope, options);
  const rule = new events.Rule(scope, id, {
    description: options.description ?? `Completion events of ${source.pipelineId}`,
    ruleName: options.ruleName,
    eventBus: source.eventBus,
    eventPattern: {
      source: [MODERATION_EVENT_SOURCE],
      detailType: [JOB_COMPLETED_DETAIL_TYPE],
      detail: {
        pipeline: [source.pipelineId],
        ...status ? { status: [status] } : {},
      },
    },
  });
  if (options.eventPattern) rule.addEventPattern(options.eventPattern);
  if (options.target) rule.addTarget(options.target);
  return rule;
}

const STATUSES: readonly string[] = Object.values(JobStatus);

function ruleStatus(scope: Construct, options: JobCompletedRuleOptions): string | undefined {
  const errors = new PropErrors();
  const { status, detailStatus } = options;
  if (status !== undefined && detailStatus !== undefined) {
    errors.add(`status and detailStatus are exclusive: use status (given status '${status}', detailStatus '${detailStatus}')`);
  }
  if (detailStatus !== undefined && !Token.isUnresolved(detailStatus) && !STATUSES.includes(detailStatus)) {
    errors.add(`detailStatus must be ${STATUSES.map((s) => `'${s}'`).join(' or ')} as the events spell it, or the rule never matches; use status with JobStatus (given '${detailStatus}')`);
  }
  errors.throwIfAny(scope.node.path);
  return status ?? detailStatus;
}
