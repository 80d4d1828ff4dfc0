import type { SimulatedClock } from './clock';

/**
 * A request-rate quota: `ratePerSecond` tokens a second, a burst of one second's worth, refilled on
 * the given clock (so a manual clock that does not move refills nothing).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    public readonly ratePerSecond: number,
    private readonly clock: Pick<SimulatedClock, 'now'>,
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`TokenBucket: ratePerSecond must be > 0 (given ${ratePerSecond})`);
    this.tokens = ratePerSecond;
    this.updatedAt = clock.now();
  }

  /** Takes one token; false when the quota is used up. */
  tryTake(): boolean {
    const now = this.clock.now();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.ratePerSecond, this.tokens + elapsedSeconds * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
