import { backoffDelayMs, Pacer } from '../../../../lambda/per-image/batch/pacer';
import { VirtualClock } from '../../../support/per-image/virtual-clock';

describe('Pacer', () => {
  test('spaces calls evenly at the given rate, concurrent callers included', async () => {
    // GIVEN
    const clock = new VirtualClock(0);
    const pacer = new Pacer(4, clock);
    const starts: number[] = [];

    // WHEN: 3 callers take 3 slots each, at once
    await clock.run(Promise.all([0, 1, 2].map(async () => {
      for (let i = 0; i < 3; i++) {
        await pacer.acquire();
        starts.push(clock.now());
      }
    })));

    // THEN: 9 starts, 250 ms apart, the first at once (no burst beyond one)
    expect(starts.sort((a, b) => a - b)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });

  test('lets a burst through at once when given one, then keeps the rate', async () => {
    const clock = new VirtualClock(0);
    const pacer = new Pacer(10, clock, 3);
    const starts: number[] = [];

    await clock.run((async () => {
      for (let i = 0; i < 6; i++) {
        await pacer.acquire();
        starts.push(clock.now());
      }
    })());

    expect(starts).toEqual([0, 0, 0, 100, 200, 300]);
  });

  test('refuses a slot past the deadline without taking it', async () => {
    const clock = new VirtualClock(0);
    const pacer = new Pacer(1, clock);

    const taken = await clock.run((async () => [await pacer.acquire(1500), await pacer.acquire(1500), await pacer.acquire(1500)])());

    // 0 and 1000 fit; 2000 does not
    expect(taken).toEqual([true, true, false]);
    expect(clock.now()).toBe(1000);
  });

  test('does not bank idle time: after a pause the next calls are still spaced', async () => {
    const clock = new VirtualClock(0);
    const pacer = new Pacer(2, clock);
    const starts: number[] = [];

    await clock.run((async () => {
      await pacer.acquire();
      await clock.sleep(10_000);
      for (let i = 0; i < 3; i++) {
        await pacer.acquire();
        starts.push(clock.now());
      }
    })());

    expect(starts).toEqual([10_000, 10_500, 11_000]);
  });

  test('fails if the rate or burst is not usable', () => {
    expect(() => new Pacer(0)).toThrow(/callsPerSecond must be a positive number \(given 0\)/);
    expect(() => new Pacer(Number.NaN)).toThrow(/callsPerSecond/);
    expect(() => new Pacer(1, undefined, 0)).toThrow(/burst must be a whole number of at least 1 \(given 0\)/);
  });
});

describe('backoffDelayMs', () => {
  test('draws up to base x 2^(attempt-1), capped', () => {
    expect(backoffDelayMs(1, 200, 10_000, () => 0.999)).toBe(199);
    expect(backoffDelayMs(3, 200, 10_000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(20, 200, 10_000, () => 0.999)).toBe(9990);
    expect(backoffDelayMs(5, 200, 10_000, () => 0)).toBe(0);
  });
});
