import * as contract from './completion-event-contract';
import { IMAGE_FLAGGED_DETAIL_TYPE } from '../actions/actions-contract';

/**
 * The events a moderation pipeline publishes, for rules written by hand (`onJobCompleted` writes
 * one for you). Static members rather than top-level constants, so they survive jsii.
 */
export class ModerationEvents {
  /** `source` of every event the library publishes. */
  public static readonly SOURCE: string = contract.MODERATION_EVENT_SOURCE;

  /**
   * `detail-type` of the one event published per manifest once its job has finished, could never
   * start or could no longer be tracked. Its detail is a {@link CompletionEventDetail}.
   */
  public static readonly JOB_COMPLETED_DETAIL_TYPE: string = contract.JOB_COMPLETED_DETAIL_TYPE;

  /**
   * `detail-type` of the event published per image that a `policy` rule with
   * ModerationAction.EVENT matched (docs/image-flagged-event-schema.json).
   */
  public static readonly IMAGE_FLAGGED_DETAIL_TYPE: string = IMAGE_FLAGGED_DETAIL_TYPE;

  private constructor() {}
}

/** @deprecated use `ModerationEvents.SOURCE` */
export const MODERATION_EVENT_SOURCE = contract.MODERATION_EVENT_SOURCE;

/** @deprecated use `ModerationEvents.JOB_COMPLETED_DETAIL_TYPE` */
export const JOB_COMPLETED_DETAIL_TYPE = contract.JOB_COMPLETED_DETAIL_TYPE;

export type {
  ActionCounts,
  CompletionEventDetail,
  CompletionFailure,
  CompletionOutput,
  CompletionStatus,
  CompletionTiming,
  ManifestLineError,
  ManifestStatistics,
  ModerationStatistics,
} from './completion-event-contract';
export { FailureStage } from './completion-event-contract';
