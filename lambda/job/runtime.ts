import type { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { LazySfn } from '../common/lazy-clients';

/** Everything the handlers need from the outside, injectable so tests run without waiting. */
export interface HandlerRuntime {
  readonly rekognition: Pick<RekognitionClient, 'send'>;
  /**
   * The Step Functions client, loaded on first use: only per-image runs and tracking need it.
   *
   * @default lazySfn
   */
  readonly sfn?: () => Promise<LazySfn>;
  /**
   * The pipeline's tracking state machine (ModerationJobEnvironment): each bulk job started gets
   * one execution of it.
   *
   * @default - bulk jobs are not tracked
   */
  readonly trackingStateMachineArn?: string;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly now: () => number;
  /** A number in [0, 1) for backoff jitter. */
  readonly random: () => number;
  /** Time left in this Lambda invocation; absent outside Lambda. */
  readonly remainingTimeMs?: () => number;
  readonly retry?: RetryPolicy;
}

/** How long onEvent keeps retrying a throttled or capacity-limited StartMediaAnalysisJob. */
export interface RetryPolicy {
  /** Total time for every attempt, the SDK's own retries included. */
  readonly budgetMs: number;
  /** First backoff; doubles per attempt up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Time kept free before the Lambda timeout, so the handler answers instead of timing out. */
  readonly safetyMarginMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  budgetMs: 60_000,
  baseDelayMs: 2_000,
  maxDelayMs: 16_000,
  safetyMarginMs: 10_000,
};

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
