import type { Interval } from './format';

/**
 * Current names of zones that some browsers list only under their older canonical name (Chromium's ICU says
 * Asia/Calcutta and Europe/Kiev); PostgreSQL knows both.
 */
const CURRENT_NAMES = ['Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Yangon', 'Asia/Ho_Chi_Minh', 'Europe/Kyiv', 'America/Nuuk', 'Atlantic/Faroe', 'Pacific/Kanton'];

function isZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone the browser knows, UTC first, then the browser's own, then the rest alphabetically. */
export function timeZones(): string[] {
  const own = browserTimeZone();
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set(['UTC', own, ...[...all, ...CURRENT_NAMES.filter(isZone)].sort()])];
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in minutes (e.g. +330 for Asia/Kolkata). */
function offsetMinutes(instant: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant a local wall-clock time names in a zone (the earlier one on an ambiguous DST hour). */
export function zonedToInstant(year: number, month: number, day: number, timeZone: string, hour = 0, minute = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - offsetMinutes(wall, timeZone) * 60_000;
  guess = wall - offsetMinutes(guess, timeZone) * 60_000;
  return guess;
}

/** Today's date in a zone as [year, month, day]. */
export function localDate(instant: number, timeZone: string): [number, number, number] {
  const shifted = new Date(instant + offsetMinutes(instant, timeZone) * 60_000);
  return [shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate()];
}

function addDays([y, m, d]: [number, number, number], days: number): [number, number, number] {
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
}

export type RangePreset = '24h' | 'today' | '7d' | '30d' | '12mo' | 'custom';

export const RANGE_PRESETS: Array<{ value: RangePreset; label: string; interval: Interval }> = [
  { value: '24h', label: 'Last 24 hours', interval: 'hour' },
  { value: 'today', label: 'Today', interval: 'hour' },
  { value: '7d', label: 'Last 7 days', interval: 'day' },
  { value: '30d', label: 'Last 30 days', interval: 'day' },
  { value: '12mo', label: 'Last 12 months', interval: 'month' },
  { value: 'custom', label: 'Custom dates', interval: 'day' },
];

export interface Range {
  /** RFC 3339, inclusive. */
  from: string;
  /** RFC 3339, exclusive. */
  to: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A dated input's value (YYYY-MM-DD) as [y, m, d]; undefined when it is not one. */
export function parseDateInput(value: string): [number, number, number] | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function dateInputValue([y, m, d]: [number, number, number]): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * The instants of a range preset in a zone: local days start at local midnight (so a day may last 23 or 25 hours),
 * "last N days" ends at the end of today. Custom ranges run from the start of `from` to the end of `to`.
 */
export function resolveRange(preset: RangePreset, timeZone: string, custom: { from: string; to: string }, now = Date.now()): Range | { error: string } {
  const today = localDate(now, timeZone);
  const midnight = (date: [number, number, number]) => zonedToInstant(date[0], date[1], date[2], timeZone);
  switch (preset) {
    case '24h':
      return { from: iso(now - 86_400_000), to: iso(now + 60_000) };
    case 'today':
      return { from: iso(midnight(today)), to: iso(midnight(addDays(today, 1))) };
    case '7d':
      return { from: iso(midnight(addDays(today, -6))), to: iso(midnight(addDays(today, 1))) };
    case '30d':
      return { from: iso(midnight(addDays(today, -29))), to: iso(midnight(addDays(today, 1))) };
    case '12mo': {
      const start = new Date(Date.UTC(today[0], today[1] - 1 - 11, 1));
      const end = new Date(Date.UTC(today[0], today[1], 1));
      return {
        from: iso(midnight([start.getUTCFullYear(), start.getUTCMonth() + 1, 1])),
        to: iso(midnight([end.getUTCFullYear(), end.getUTCMonth() + 1, 1])),
      };
    }
    case 'custom': {
      const from = parseDateInput(custom.from);
      const to = parseDateInput(custom.to);
      if (!from || !to) return { error: 'Pick both dates.' };
      const range = { from: iso(midnight(from)), to: iso(midnight(addDays(to, 1))) };
      return range.from < range.to ? range : { error: 'The first date must not be after the last.' };
    }
  }
}
