import { SLOT_LIMIT_TRUST_SECONDS, BACKLOG_TICK } from '../../../../lib/trigger/backlog-contract';
import { SlotEstimate } from '../../../../lambda/trigger/backlog/slot-estimate';

describe('SlotEstimate', () => {
  test('knows no limit at first: starts are tried until one is refused', () => {
    expect(new SlotEstimate().free(3)).toBe(Infinity);
  });

  test('learns the limit from the running jobs counted when a start is refused', () => {
    // GIVEN
    const slots = new SlotEstimate();

    // WHEN
    slots.refused(5);

    // THEN
    expect(slots.learnedLimit).toBe(5);
    expect(slots.free(5)).toBe(0);
    expect(slots.free(3)).toBe(2);
    expect(slots.free(7)).toBe(0);
  });

  test('tries one start when the running jobs could not be counted', () => {
    const slots = new SlotEstimate();
    slots.refused(5);
    expect(slots.free(undefined)).toBe(1);
  });

  test('keeps what it knew when a refusal comes without a count', () => {
    const slots = new SlotEstimate();
    slots.refused(5);
    slots.refused(undefined);
    expect(slots.learnedLimit).toBe(5);
  });

  test('raises the limit when more jobs run after a start than it allowed (the quota was raised)', () => {
    const slots = new SlotEstimate();
    slots.refused(5);
    slots.started(6);
    expect(slots.learnedLimit).toBe(6);
    slots.started(4);
    expect(slots.learnedLimit).toBe(6);
  });

  test(`forgets the limit after ${SLOT_LIMIT_TRUST_SECONDS} s of scheduled looks, so one start is tried again`, () => {
    // GIVEN
    const slots = new SlotEstimate();
    slots.refused(5);
    const looks = SLOT_LIMIT_TRUST_SECONDS / BACKLOG_TICK.lookIntervalSeconds;

    // WHEN
    for (let look = 1; look < looks; look += 1) slots.looked();

    // THEN
    expect(slots.free(5)).toBe(0);
    slots.looked();
    expect(slots.free(5)).toBe(Infinity);
  });

  test('counts the trust from the last refusal', () => {
    const slots = new SlotEstimate();
    slots.refused(5);
    const looks = SLOT_LIMIT_TRUST_SECONDS / BACKLOG_TICK.lookIntervalSeconds;
    for (let look = 1; look < looks; look += 1) slots.looked();
    slots.refused(5);
    slots.looked();
    expect(slots.free(5)).toBe(0);
  });
});
