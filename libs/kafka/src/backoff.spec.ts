import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const base = 200;
  const max = 60_000;

  it('doubles per failed attempt, between half and all of the step', () => {
    for (const [attempt, step] of [
      [1, 200],
      [2, 400],
      [3, 800],
      [6, 6_400],
    ] as const) {
      expect(backoffDelayMs(attempt, base, max, () => 0)).toBe(step / 2);
      expect(backoffDelayMs(attempt, base, max, () => 1)).toBe(step);
      const random = backoffDelayMs(attempt, base, max);
      expect(random).toBeGreaterThanOrEqual(step / 2);
      expect(random).toBeLessThanOrEqual(step);
    }
  });

  it('is capped at the maximum, also for absurd attempt counts', () => {
    expect(backoffDelayMs(10, base, max, () => 1)).toBe(60_000);
    expect(backoffDelayMs(1_000, base, max, () => 1)).toBe(60_000);
    expect(backoffDelayMs(1_000, base, max, () => 0)).toBe(30_000);
  });

  it('spreads relays that failed together (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(5, base, max)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('treats attempt 0 or less like the first', () => {
    expect(backoffDelayMs(0, base, max, () => 1)).toBe(200);
  });
});
