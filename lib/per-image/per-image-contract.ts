/**
 * Environment variables of the per-image handlers, shared by the construct that sets them and the
 * handlers that read them.
 */
export const PerImageEnvironment = {
  /** Key that encrypts every file the engine writes (SSE-KMS); absent: the bucket's default. */
  KMS_KEY_ID: 'KMS_KEY_ID',
  /** DetectModerationLabels MinConfidence (0-100); absent: Rekognition's default (50). */
  MIN_CONFIDENCE: 'MIN_CONFIDENCE',
  /** Adapter (project version) ARN; absent: the base model. */
  PROJECT_VERSION: 'PROJECT_VERSION',
  /** DetectModerationLabels calls per second one batch may make (the run's rate / the Map's concurrency). */
  CALLS_PER_SECOND: 'CALLS_PER_SECOND',
  /** Calls one batch keeps in flight at most. */
  MAX_IN_FLIGHT: 'MAX_IN_FLIGHT',
  /** Share of lines (0-1) that may fail before the run is FAILED. */
  MAX_FAILURE_SHARE: 'MAX_FAILURE_SHARE',
  /** Rounds of the Distributed Map at most: the first, then retries of lines not done. */
  MAX_ROUNDS: 'MAX_ROUNDS',
  /** The Distributed Map's MaxConcurrency: rounds are batched in whole waves of it. */
  MAP_CONCURRENCY: 'MAP_CONCURRENCY',
  /** Items per batch at most. */
  MAX_ITEMS_PER_BATCH: 'MAX_ITEMS_PER_BATCH',
} as const;
