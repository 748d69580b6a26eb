import { Transform } from 'class-transformer';

/** Env values are strings; a number that does not parse stays a string so validation names the key. */
export const EnvInt = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

export const EnvBool = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return value;
  });

/** Durations such as 500ms, 30s, 15m, 7d, or plain milliseconds. */
export function parseDurationMs(value: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return n * factor;
}

export const EnvDurationMs = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    return parseDurationMs(value) ?? value;
  });

/**
 * Retention windows: a duration as above, or `keep` (never delete), read as 0. Validate with @Min(0) and treat 0 as
 * "keep" (a window of 0 ms would delete everything at once, which nobody means).
 */
export const EnvRetentionMs = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    if (value.trim().toLowerCase() === 'keep') return 0;
    return parseDurationMs(value) ?? value;
  });
