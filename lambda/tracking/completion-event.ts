import {
  COMPLETION_DETAIL_VERSION,
  type CompletionEventDetail,
  type CompletionFailure,
  type CompletionStatus,
  FailureStage,
  type ManifestStatistics,
  MAX_REPORTED_ERRORS,
  MAX_REPORTED_LABELS,
  type ModerationStatistics,
  type SkipCounts,
  TrackerFailureCode,
} from '../../lib/events/completion-event-contract';
import { type S3Location, s3Uri } from '../../lib/common/contract/s3-location';
import type { TrackingInput } from '../../lib/tracking/tracking-contract';

// Caps that keep the worst-case detail near 50 KB, far below EventBridge's 256 KB entry limit.
const MAX_MESSAGE = 2048;
const MAX_ERROR_MESSAGE = 512;
const MAX_SOURCE_REF = 1100;
const MAX_NAME = 256;

/** Accepted forms of a job timestamp: a Date (the SDK's), an ISO 8601 string or epoch seconds. */
export type Timestamp = Date | string | number;

/** What became of the job, as the tracker found it. */
export interface JobOutcome {
  status: CompletionStatus;
  failure: CompletionFailure | null;
  results?: S3Location | null;
  summary?: S3Location | null;
  flaggedImages?: S3Location | null;
  statistics?: ManifestStatistics | null;
  moderation?: ModerationStatistics | null;
  createdAt?: Timestamp | null;
  completedAt?: Timestamp | null;
  /** The skips of the manifest's batch; absent for a manifest no batcher or backfill wrote. */
  skipped?: SkipCounts;
}

/** The outcome of a manifest for which no job could be started. */
export function startFailureOutcome(input: TrackingInput): JobOutcome {
  const failure = input.startFailure;
  return {
    status: 'FAILED',
    failure: {
      code: failure?.code || 'UNKNOWN',
      message: failure?.message ?? '',
      stage: FailureStage.START,
    },
  };
}

/** A succeeded job whose results or summary were gone when the tracker came to read them. */
export function resultsGoneOutcome(outcome: JobOutcome, gone: S3Location): JobOutcome {
  return {
    ...outcome,
    status: 'FAILED',
    failure: {
      code: TrackerFailureCode.RESULTS_NOT_FOUND,
      message: `The job succeeded, but ${s3Uri(gone)} was gone when its results were read (deleted, or expired by a lifecycle rule): nothing was counted.`,
      stage: FailureStage.RESULTS,
    },
    statistics: null,
    moderation: null,
    flaggedImages: null,
  };
}

/** A job still unfinished (`status`) when the tracking timeout ran out. */
export function trackingTimeoutOutcome(status: string, timeoutSeconds: number, createdAt: Timestamp | null): JobOutcome {
  return {
    status: 'FAILED',
    failure: {
      code: TrackerFailureCode.TRACKING_TIMEOUT,
      message: `The job was still ${status} after the tracking timeout (${timeoutSeconds} s) and is no longer tracked; `
        + 'it may yet finish and write its results under output.prefix.',
      stage: FailureStage.TRACKING_TIMEOUT,
    },
    createdAt,
  };
}

/** Builds the event detail; pure, and bounded in size whatever the input. */
export function buildCompletionDetail(input: TrackingInput, outcome: JobOutcome, pipeline: string | null = null): CompletionEventDetail {
  const createdAt = toDate(outcome.createdAt);
  const completedAt = toDate(outcome.completedAt);
  return {
    version: COMPLETION_DETAIL_VERSION,
    pipeline: pipeline ? clip(pipeline, MAX_NAME) : null,
    engine: input.engine,
    fallbackReason: input.fallbackReason ? clip(input.fallbackReason, MAX_MESSAGE) : null,
    jobId: input.jobId ?? null,
    jobName: input.jobName,
    token: input.token,
    status: outcome.status,
    manifest: {
      bucket: input.manifest.bucket,
      key: input.manifest.key,
      version: input.manifest.version ?? null,
    },
    failure: outcome.failure && {
      code: clip(outcome.failure.code, MAX_NAME),
      message: clip(outcome.failure.message, MAX_MESSAGE),
      stage: outcome.failure.stage,
    },
    output: {
      bucket: input.output.bucket,
      prefix: input.output.prefix,
      results: uriOrNull(outcome.results),
      summary: uriOrNull(outcome.summary),
      flaggedImages: uriOrNull(outcome.flaggedImages),
      errorReport: input.startFailure?.errorReport ?? null,
    },
    statistics: outcome.statistics ? boundStatistics(outcome.statistics) : null,
    moderation: outcome.moderation ? boundModeration(outcome.moderation) : null,
    timing: {
      createdAt: createdAt?.toISOString() ?? null,
      completedAt: completedAt?.toISOString() ?? null,
      durationSeconds: createdAt && completedAt && completedAt >= createdAt
        ? Math.round(completedAt.getTime() - createdAt.getTime()) / 1000
        : null,
    },
    ...(outcome.skipped && { skipped: boundSkipped(outcome.skipped) }),
  };
}

/** A Date for a valid timestamp, else null. Numbers are epoch seconds. */
export function toDate(value: Timestamp | null | undefined): Date | null {
  let date: Date;
  if (value instanceof Date) {
    date = value;
  } else if (typeof value === 'number') {
    date = new Date(value * 1000);
  } else if (typeof value === 'string' && value.trim() !== '') {
    date = new Date(value);
  } else {
    return null;
  }
  return Number.isFinite(date.getTime()) ? date : null;
}

function uriOrNull(location: S3Location | null | undefined): string | null {
  return location ? s3Uri(location) : null;
}

function boundStatistics(statistics: ManifestStatistics): ManifestStatistics {
  return {
    ...statistics,
    errors: statistics.errors.slice(0, MAX_REPORTED_ERRORS).map((error) => ({
      lineNumber: error.lineNumber,
      sourceRef: error.sourceRef === null ? null : clip(error.sourceRef, MAX_SOURCE_REF),
      code: clip(error.code, MAX_NAME),
      message: clip(error.message, MAX_ERROR_MESSAGE),
    })),
  };
}

function boundModeration(moderation: ModerationStatistics): ModerationStatistics {
  const labels = new Map<string, number>();
  const byCount = Object.entries(moderation.labels).sort(([nameA, countA], [nameB, countB]) => countB - countA || nameA.localeCompare(nameB));
  for (const [name, count] of byCount) {
    if (labels.size === MAX_REPORTED_LABELS) {
      break;
    }
    const clipped = clip(name, MAX_NAME);
    // Two names that clip alike keep the larger count.
    if (!labels.has(clipped)) {
      labels.set(clipped, count);
    }
  }
  return { ...moderation, labels: Object.fromEntries(labels) };
}

/** Skip reasons are a handful of names; a report naming many others gets them clipped and capped. */
const MAX_SKIP_REASONS = 20;

function boundSkipped(skipped: SkipCounts): SkipCounts {
  const byReason = Object.entries(skipped.byReason).slice(0, MAX_SKIP_REASONS).map(([reason, count]) => [clip(reason, MAX_NAME), count]);
  return { ...skipped, byReason: Object.fromEntries(byReason) };
}

function clip(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  let end = max - 1;
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) {
    end -= 1;
  }
  return `${text.slice(0, end)}…`;
}
