import type { Clock } from '../../../lambda/per-image/batch/pacer';

/**
 * Simulated time for code that sleeps through a Clock: `run(work)` lets every pending promise
 * settle, then jumps to the earliest sleeper's wake-up time, until `work` settles. Concurrent
 * sleepers wake in time order; no real time passes.
 */
export class VirtualClock implements Clock {
  private time: number;
  private readonly sleepers: Array<{ at: number; seq: number; wake: () => void }> = [];
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, wake: resolve });
    });
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => { settled = true; });
    for (;;) {
      await flush();
      if (settled) return done;
      if (this.sleepers.length === 0) {
        throw new Error('VirtualClock: the work is waiting on something other than the clock');
      }
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers.shift()!;
      this.time = Math.max(this.time, next.at);
      next.wake();
    }
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
