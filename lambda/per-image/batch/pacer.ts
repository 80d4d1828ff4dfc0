/** Time as the pacer and the retry loop see it; tests pass a virtual one. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A token bucket (in its GCRA form: one timestamp, no timer): at most `callsPerSecond` starts
 * per second on average, and at most `burst` at once. Concurrent callers are served in the
 * order they ask. The default burst of 1 spaces calls evenly, so a batch never opens with a
 * spike that the account's TPS quota would throttle.
 */
export class Pacer {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** When the bucket is next empty of debt ("theoretical arrival time"). */
  private tat = Number.NEGATIVE_INFINITY;

  constructor(callsPerSecond: number, private readonly clock: Clock = systemClock, burst = 1) {
    if (!(callsPerSecond > 0) || !Number.isFinite(callsPerSecond)) {
      throw new RangeError(`callsPerSecond must be a positive number (given ${callsPerSecond})`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`burst must be a whole number of at least 1 (given ${burst})`);
    }
    this.intervalMs = 1000 / callsPerSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /**
   * Waits for a slot and takes it. Returns false, without waiting or taking it, if the slot
   * would come after `deadline` (epoch ms).
   */
  async acquire(deadline: number = Number.POSITIVE_INFINITY): Promise<boolean> {
    const now = this.clock.now();
    const earliest = Math.max(now, this.tat - this.toleranceMs);
    if (earliest > deadline) {
      return false;
    }
    this.tat = Math.max(this.tat, earliest) + this.intervalMs;
    if (earliest > now) {
      await this.clock.sleep(earliest - now);
    }
    return true;
  }
}

/** "Full jitter" backoff: a random delay up to min(cap, base x 2^(attempt-1)). attempt >= 1. */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
