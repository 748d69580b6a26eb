/**
 * Delay before the next publish attempt of a row that has failed `attempt` times (1 = first failure):
 * exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so relays
 * that failed together do not retry in lockstep, while the delay never drops below half the step.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 40));
  const step = Math.min(maxMs, baseMs * 2 ** exponent);
  const half = step / 2;
  return Math.round(half + random() * half);
}
