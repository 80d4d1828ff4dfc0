/**
 * The contract of the job backlog: manifests that found every concurrent-job slot taken wait in
 * the backlog queue, and the trigger function starts them when a slot frees. Shared by the
 * constructs (lib/trigger) and the trigger handler. No aws-cdk-lib here.
 */

export const BacklogEnvironment = {
  /** URL of the queue where manifests wait for a free job slot. */
  BACKLOG_QUEUE_URL: 'BACKLOG_QUEUE_URL',
  /** URL of the manifest queue: a backlog manifest that fails unexpectedly goes back there. */
  MANIFEST_QUEUE_URL: 'MANIFEST_QUEUE_URL',
} as const;

/** Minutes between two runs of the schedule that wakes the trigger to look at the backlog. */
export const BACKLOG_TICK_MINUTES = 1;

/**
 * What the schedule sends the trigger: look at the backlog `looks` times, `intervalSeconds` apart
 * (while manifests wait and the invocation has time), so a slot freed by any caller is taken within
 * that interval rather than within the schedule's minute.
 */
export interface BacklogTick {
  readonly backlogLooks: number;
  readonly lookIntervalSeconds: number;
}

export const BACKLOG_TICK: BacklogTick = { backlogLooks: 4, lookIntervalSeconds: 15 };

/**
 * ListMediaAnalysisJobs page read on each look: the account's newest jobs, among which its running
 * ones are counted (a job older than the newest 100 is not seen; a refused start corrects the count).
 */
export const ACTIVE_JOBS_PAGE_SIZE = 100;

/**
 * How long a learned concurrent-job limit is trusted before one start is tried regardless, so a
 * raised quota (or a miscount) is noticed.
 */
export const SLOT_LIMIT_TRUST_SECONDS = 900;

/**
 * The backlog queue's redrive: each receive is a start attempt that found no free slot (or a crash),
 * so a manifest is dead-lettered only after this many, far more than days of waiting take.
 */
export const BACKLOG_MAX_RECEIVE_COUNT = 1000;

/**
 * Per-image runs at once: runs of many manifests share the engine's configured rate (one run at
 * a time, each at the whole rate) instead of each taking it whole.
 */
export const MAX_CONCURRENT_PER_IMAGE_RUNS = 1;

/** The trigger's log lines about the backlog. */
export const BacklogLog = {
  PARKED: 'manifest waits in the backlog for a free job slot',
  LOOKED: 'backlog looked at',
} as const;

/** The schedule's input as the handler reads it; missing or unusable fields take the defaults. */
export function readBacklogTick(event: unknown): BacklogTick {
  const fields = typeof event === 'object' && event !== null ? event as Record<string, unknown> : {};
  const looks = fields.backlogLooks;
  const interval = fields.lookIntervalSeconds;
  return {
    backlogLooks: Number.isInteger(looks) && (looks as number) >= 1 ? looks as number : BACKLOG_TICK.backlogLooks,
    lookIntervalSeconds: typeof interval === 'number' && interval >= 0 ? interval : BACKLOG_TICK.lookIntervalSeconds,
  };
}
