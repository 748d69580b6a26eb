/**
 * RFC 3339 in UTC with microseconds, e.g. 2026-11-23T10:00:00.123456Z.
 * JavaScript dates carry milliseconds; callers that have microseconds (PostgreSQL) pass them in.
 */
export function toRfc3339Micros(date: Date, micros?: number): string {
  const iso = date.toISOString(); // 2026-11-23T10:00:00.123Z
  const extra = micros === undefined ? '000' : String(micros % 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${extra}Z`;
}

/** RFC 3339 date-time with a zone (Z or ±hh:mm); fractional seconds up to nanoseconds. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Undefined when `value` is an RFC 3339 date-time with zone naming a real instant; else the problem. */
export function rfc3339Problem(value: string): string | undefined {
  const m = RFC3339.exec(value);
  if (!m) return 'must be an RFC 3339 date-time with a zone, e.g. 2026-11-23T10:00:00.123456Z';
  const [, y, mo, d, h, mi, s, , , sign, oh, om] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!real || year < 1) return 'is not a real date and time';
  if (sign && (Number(oh) > 15 || Number(om) > 59)) return 'has an impossible zone offset';
  return undefined;
}
