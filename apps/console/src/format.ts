/**
 * Numbers, money and times in the reader's locale (the browser's), always with their unit. Costs arrive as integer
 * micro-units of the ledger's currency (1 USD = 1,000,000); null means unpriced, never zero.
 */
const numbers = new Intl.NumberFormat(undefined);

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : numbers.format(value);
}

export function formatTokens(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return `${numbers.format(value)} ${Math.abs(value) === 1 ? 'token' : 'tokens'}`;
}

const currencies = new Map<string, { small: Intl.NumberFormat; large: Intl.NumberFormat }>();

/** Micro-units as money: cents for amounts of one unit or more, up to the micro-unit below that. */
export function formatCost(micros: number | null | undefined, currency = 'USD'): string {
  if (micros === null || micros === undefined) return 'unpriced';
  let formats = currencies.get(currency);
  if (!formats) {
    formats = {
      small: new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 6 }),
      large: new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    };
    currencies.set(currency, formats);
  }
  const units = micros / 1e6;
  return (Math.abs(units) >= 1 ? formats.large : formats.small).format(units);
}

const dateTimes = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const key = timeZone ?? '';
  let format = dateTimes.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone });
    dateTimes.set(key, format);
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : format.format(ms);
}

export function formatClock(date: Date): string {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A duration in seconds as "45 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${numbers.format(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${numbers.format(Math.floor(s / 86_400))} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(Math.round(seconds), 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400 * 2) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

export type Interval = 'hour' | 'day' | 'week' | 'month';

const bucketFormats: Record<Interval, Intl.DateTimeFormat> = {
  hour: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }),
  day: new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' }),
  week: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }),
  month: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', timeZone: 'UTC' }),
};

/**
 * A bucket's label from its local start as the API gives it (`2026-11-23T19:30:00+05:30`): the wall-clock time of
 * the chosen zone, whatever zone the browser is in.
 */
export function bucketLabel(localStart: string, interval: Interval): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(localStart);
  if (!m) return localStart;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const text = bucketFormats[interval].format(wall);
  return interval === 'week' ? `week of ${text}` : text;
}
