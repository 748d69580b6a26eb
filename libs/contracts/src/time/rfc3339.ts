/**
 * RFC 3339 in UTC with microseconds, e.g. 2026-11-23T10:00:00.123456Z.
 * JavaScript dates carry milliseconds; callers that have microseconds (PostgreSQL) pass them in.
 */
export function toRfc3339Micros(date: Date, micros?: number): string {
  const iso = date.toISOString(); // 2026-11-23T10:00:00.123Z
  const extra = micros === undefined ? '000' : String(micros % 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${extra}Z`;
}
