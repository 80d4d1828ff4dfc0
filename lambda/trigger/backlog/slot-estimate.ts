import { BACKLOG_TICK, SLOT_LIMIT_TRUST_SECONDS } from '../../../lib/trigger/backlog-contract';

/** Scheduled looks a learned limit is trusted for: SLOT_LIMIT_TRUST_SECONDS at the schedule's pace. */
const TRUSTED_LOOKS = Math.round(SLOT_LIMIT_TRUST_SECONDS / BACKLOG_TICK.lookIntervalSeconds);

/**
 * The account's concurrent-job limit as the trigger has seen it: the count of running jobs when a
 * start was refused. Kept in the container (a cold one learns it again with one refused start), so
 * the backlog is started only into slots that look free instead of by trying each manifest.
 */
export class SlotEstimate {
  private limit: number | undefined;
  private looksSinceLearned = 0;

  /** How many starts to try with `active` jobs running (undefined: not counted); Infinity: until refused. */
  public free(active: number | undefined): number {
    if (this.limit === undefined) return Infinity;
    if (active === undefined) return 1;
    return Math.max(0, this.limit - active);
  }

  /** A scheduled look at the backlog: a limit trusted long enough is forgotten, so one start is tried. */
  public looked(): void {
    this.looksSinceLearned += 1;
    if (this.looksSinceLearned >= TRUSTED_LOOKS) this.forget();
  }

  /** A start was refused for capacity with `active` jobs running (undefined: not counted). */
  public refused(active: number | undefined): void {
    if (active !== undefined) this.limit = active;
    this.looksSinceLearned = 0;
  }

  /** A start succeeded and `active` jobs now run: the limit is at least that. */
  public started(active: number | undefined): void {
    if (this.limit !== undefined && active !== undefined && active > this.limit) this.limit = active;
  }

  public get learnedLimit(): number | undefined {
    return this.limit;
  }

  public forget(): void {
    this.limit = undefined;
    this.looksSinceLearned = 0;
  }
}

/** One per container, shared by every invocation. */
export const slotEstimate = new SlotEstimate();
