/**
 * Simulated time shared by the double's job lifecycle, its TPS quotas and any harness that
 * schedules around them. Manual by default (time moves only when told); with `scale` > 0 it also
 * runs on its own, `scale` simulated milliseconds per real one (60: a minute per second).
 */
export interface ClockOptions {
  /** @default 2026-01-01T00:00:00Z */
  readonly start?: Date | number;
  /** @default 0 (manual only) */
  readonly scale?: number;
}

export class SimulatedClock {
  private offsetMs = 0;
  private readonly startMs: number;
  private readonly realStartMs = Date.now();
  public readonly scale: number;

  constructor(options: ClockOptions = {}) {
    this.startMs = options.start === undefined ? Date.UTC(2026, 0, 1) : Number(options.start);
    this.scale = options.scale ?? 0;
    if (!Number.isFinite(this.startMs) || !(this.scale >= 0)) {
      throw new Error(`SimulatedClock: start must be a time and scale >= 0 (given ${String(options.start)}, ${options.scale})`);
    }
  }

  /** Milliseconds since the epoch, simulated. */
  now(): number {
    return this.startMs + this.offsetMs + (this.scale > 0 ? (Date.now() - this.realStartMs) * this.scale : 0);
  }

  date(): Date {
    return new Date(this.now());
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`SimulatedClock.advance: ms must be >= 0 (given ${ms})`);
    this.offsetMs += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }

  /** Moves to `time` if it is later than now; never back. */
  advanceTo(time: number | Date): void {
    const target = Number(time);
    if (target > this.now()) this.advance(target - this.now());
  }
}
