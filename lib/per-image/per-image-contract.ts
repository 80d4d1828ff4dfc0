import { EnvironmentReader, type NumberRange, numberProblem, type Stringify, writeEnvironment } from '../common/contract/environment';

/**
 * The contract between the per-image workflow's construct (per-image-functions.ts, which writes
 * the environment) and its three handlers (lambda/per-image/{prepare,batch,finalize}, which read
 * it back): variable names, settings, defaults, limits and handler names. The JSON the workflow
 * passes between its states is in per-image-workflow-contract.ts.
 */

/** Environment variables of the per-image handlers. */
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

/** Each handler's asset folder (assets/<asset>/index.mjs) and exported function. */
export const PerImageHandler = {
  PREPARE: { asset: 'per-image-prepare', exportName: 'handler' },
  BATCH: { asset: 'per-image-batch', exportName: 'handler' },
  FINALIZE: { asset: 'per-image-finalize', exportName: 'handler' },
} as const;

// ---- Defaults (the engine's prop defaults the handlers also need) ----

/** DetectModerationLabels calls per second of one manifest's run: the lowest published default quota. */
export const DEFAULT_IMAGES_PER_SECOND = 5;
/** Share of a manifest's non-blank lines that may fail before the run is FAILED. */
export const DEFAULT_MAX_FAILURE_SHARE = 0.1;
/** Rounds of the Distributed Map at most: the manifest's lines, then twice the lines not done. */
export const DEFAULT_MAX_ROUNDS = 3;

// ---- Limits, checked at synth and by the handlers' readers with the same ranges ----

export const IMAGES_PER_SECOND_RANGE: NumberRange = { min: 1, max: 1000 };
export const FAILURE_SHARE_RANGE: NumberRange = { min: 0, max: 1 };
export const MIN_CONFIDENCE_RANGE: NumberRange = { min: 0, max: 100 };

/** What is wrong with a run's DetectModerationLabels calls per second, or undefined. */
export function imagesPerSecondProblem(value: number): string | undefined {
  return numberProblem(value, IMAGES_PER_SECOND_RANGE);
}

/** What is wrong with a share of lines allowed to fail, or undefined. */
export function failureShareProblem(value: number): string | undefined {
  return numberProblem(value, FAILURE_SHARE_RANGE);
}

// ---- Sizing: how a run's rate is spread over the Distributed Map's children ----

/**
 * One child (one batch Lambda) is paced at no more than PER_CHILD_CALLS_PER_SECOND: with
 * DetectModerationLabels answering in ~0.2-1 s, that keeps a few calls in flight, well within
 * one function. MaxConcurrency then makes the children's rates add up to the target:
 * maxConcurrency x callsPerSecondPerChild = imagesPerSecond. Batches are sized to take at most
 * BATCH_SECONDS at that pace, which leaves most of an Express child's 5 minutes for retrying
 * throttled calls, and at most MAX_BATCH_ITEMS, which keeps a batch's results under Step
 * Functions' 256 KiB payload limit in all but extreme cases (those spill to S3).
 */
export const PER_CHILD_CALLS_PER_SECOND = 5;
export const BATCH_SECONDS = 30;
export const MAX_BATCH_ITEMS = 50;
/** Distributed Map's MaxConcurrency is at most 10,000; Lambda's default concurrency quota is 1,000. */
export const MAX_CONCURRENCY = 1000;

export interface PerImageSizing {
  /** The Distributed Map's MaxConcurrency. */
  readonly maxConcurrency: number;
  /** DetectModerationLabels calls per second of one child. */
  readonly callsPerSecondPerChild: number;
  /** Items per batch at most (each round's batches are sized within it, see lambda/per-image/per-image-batching.ts). */
  readonly itemsPerBatch: number;
  /** Calls one child keeps in flight at most. */
  readonly maxInFlight: number;
}

export function sizePerImageRun(imagesPerSecond: number): PerImageSizing {
  const maxConcurrency = Math.min(MAX_CONCURRENCY, Math.max(1, Math.ceil(imagesPerSecond / PER_CHILD_CALLS_PER_SECOND)));
  const callsPerSecondPerChild = imagesPerSecond / maxConcurrency;
  return {
    maxConcurrency,
    callsPerSecondPerChild,
    itemsPerBatch: Math.max(1, Math.min(MAX_BATCH_ITEMS, Math.floor(callsPerSecondPerChild * BATCH_SECONDS))),
    maxInFlight: maxInFlightFor(callsPerSecondPerChild),
  };
}

/** Enough calls in flight to keep the rate with up to 2 s per call, never fewer than 2. */
export function maxInFlightFor(callsPerSecond: number): number {
  return Math.min(64, Math.max(2, Math.ceil(callsPerSecond * 2)));
}

// ---- Settings of each handler: written by the construct, read back by the handler ----

/** How Prepare and Finalize size each round's batches (ItemBatcher MaxItemsPerBatchPath). */
export interface BatchingSettings {
  /** The Map's MaxConcurrency. */
  readonly mapConcurrency: number;
  /** Items per batch at most. */
  readonly maxItemsPerBatch: number;
}

/** Without settings (tests, local runs): one child, the largest batches. */
export const DEFAULT_BATCHING: BatchingSettings = { mapConcurrency: 1, maxItemsPerBatch: MAX_BATCH_ITEMS };

export interface PrepareSettings extends BatchingSettings {
  readonly kmsKeyId?: string;
}

export interface BatchSettings {
  readonly callsPerSecond: number;
  readonly maxInFlight: number;
  readonly minConfidence?: number;
  readonly projectVersion?: string;
  readonly kmsKeyId?: string;
}

export interface FinalizeSettings extends BatchingSettings {
  /** Share of the non-blank lines (0-1) that may fail before the job is FAILED. */
  readonly maxFailureShare: number;
  /** Rounds at most; lines still pending after the last are recorded as errors. */
  readonly maxRounds: number;
  readonly kmsKeyId?: string;
}

const Env = PerImageEnvironment;
type Env = Readonly<Record<string, string | undefined>>;

const MAP_CONCURRENCY_RANGE: NumberRange = { min: 1, max: MAX_CONCURRENCY, integer: true };
const ITEMS_PER_BATCH_RANGE: NumberRange = { min: 1, max: MAX_BATCH_ITEMS, integer: true };

function batchingEnvironment(settings: BatchingSettings) {
  return { [Env.MAP_CONCURRENCY]: settings.mapConcurrency, [Env.MAX_ITEMS_PER_BATCH]: settings.maxItemsPerBatch };
}

function readBatching(reader: EnvironmentReader): BatchingSettings {
  return {
    mapConcurrency: reader.number(Env.MAP_CONCURRENCY, DEFAULT_BATCHING.mapConcurrency, MAP_CONCURRENCY_RANGE),
    maxItemsPerBatch: reader.number(Env.MAX_ITEMS_PER_BATCH, DEFAULT_BATCHING.maxItemsPerBatch, ITEMS_PER_BATCH_RANGE),
  };
}

export function prepareEnvironment(settings: PrepareSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({ [Env.KMS_KEY_ID]: settings.kmsKeyId, ...batchingEnvironment(settings) }, stringify);
}

export function readPrepareSettings(env: Env): PrepareSettings {
  const reader = new EnvironmentReader(env);
  return withOptional({ ...readBatching(reader) }, { kmsKeyId: reader.optionalString(Env.KMS_KEY_ID) });
}

export function batchEnvironment(settings: BatchSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({
    [Env.KMS_KEY_ID]: settings.kmsKeyId,
    [Env.CALLS_PER_SECOND]: settings.callsPerSecond,
    [Env.MAX_IN_FLIGHT]: settings.maxInFlight,
    [Env.MIN_CONFIDENCE]: settings.minConfidence,
    [Env.PROJECT_VERSION]: settings.projectVersion,
  }, stringify);
}

export function readBatchSettings(env: Env): BatchSettings {
  const reader = new EnvironmentReader(env);
  // At least 1: imagesPerSecond is at least 1, spread over at most ceil(imagesPerSecond / 5) children.
  const callsPerSecond = reader.requiredNumber(Env.CALLS_PER_SECOND, { min: 1 });
  return withOptional({
    callsPerSecond,
    maxInFlight: reader.number(Env.MAX_IN_FLIGHT, maxInFlightFor(callsPerSecond), { min: 1, integer: true }),
  }, {
    minConfidence: reader.optionalNumber(Env.MIN_CONFIDENCE, MIN_CONFIDENCE_RANGE),
    projectVersion: reader.optionalString(Env.PROJECT_VERSION),
    kmsKeyId: reader.optionalString(Env.KMS_KEY_ID),
  });
}

export function finalizeEnvironment(settings: FinalizeSettings, stringify?: Stringify): Record<string, string> {
  return writeEnvironment({
    [Env.KMS_KEY_ID]: settings.kmsKeyId,
    ...batchingEnvironment(settings),
    [Env.MAX_FAILURE_SHARE]: settings.maxFailureShare,
    [Env.MAX_ROUNDS]: settings.maxRounds,
  }, stringify);
}

export function readFinalizeSettings(env: Env): FinalizeSettings {
  const reader = new EnvironmentReader(env);
  return withOptional({
    ...readBatching(reader),
    maxFailureShare: reader.number(Env.MAX_FAILURE_SHARE, DEFAULT_MAX_FAILURE_SHARE, FAILURE_SHARE_RANGE),
    maxRounds: reader.number(Env.MAX_ROUNDS, DEFAULT_MAX_ROUNDS, { min: 1, integer: true }),
  }, { kmsKeyId: reader.optionalString(Env.KMS_KEY_ID) });
}

/** `values` with the optional settings that are set (absent ones are left out, not undefined). */
function withOptional<T extends object, O extends object>(values: T, optional: O): T & Partial<O> {
  const set = Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined));
  return { ...values, ...set } as T & Partial<O>;
}
