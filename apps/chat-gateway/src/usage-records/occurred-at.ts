import { rfc3339Problem } from '@chat-ledger/contracts';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const MAX_FUTURE_MS = 24 * 3_600_000;

/**
 * A reported time as the events carry it: RFC 3339 in UTC with microseconds. An offset is converted; the
 * fraction is kept to the microsecond, not cut to JavaScript's milliseconds, because two revisions are "the
 * same body" only when their times are equal. More precision than that would be cut, so it is refused; a time
 * without a zone has no instant, so it is refused too.
 */
export function toUtcMicros(value: string, now = Date.now()): { ok: true; value: string } | { ok: false; problem: string } {
  const problem = rfc3339Problem(value);
  if (problem) return { ok: false, problem };
  const [, date, time, fraction = '', zone] = RFC3339.exec(value)!;
  if (/[1-9]/.test(fraction.slice(6))) return { ok: false, problem: 'has more precision than a microsecond' };
  const seconds = Date.parse(`${date}T${time}${zone!.toUpperCase()}`);
  if (seconds < EARLIEST || seconds > now + MAX_FUTURE_MS) return { ok: false, problem: 'must be a real time between 2000-01-01 and one day from now' };
  return { ok: true, value: `${new Date(seconds).toISOString().slice(0, 19)}.${fraction.slice(0, 6).padEnd(6, '0')}Z` };
}
