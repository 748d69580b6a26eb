import 'reflect-metadata';
import { toUtcMicros } from './occurred-at';

describe('toUtcMicros', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('converts an offset to UTC and keeps microseconds', () => {
    expect(toUtcMicros('2026-11-23T10:00:00.123456+01:00', now)).toEqual({ ok: true, value: '2026-11-23T09:00:00.123456Z' });
    expect(toUtcMicros('2026-11-23t10:00:00z', now)).toEqual({ ok: true, value: '2026-11-23T10:00:00.000000Z' });
    expect(toUtcMicros('2026-01-01T00:30:00.5-02:30', now)).toEqual({ ok: true, value: '2026-01-01T03:00:00.500000Z' });
    expect(toUtcMicros('2026-11-23T10:00:00.123456000Z', now)).toEqual({ ok: true, value: '2026-11-23T10:00:00.123456Z' });
  });

  it.each([
    ['no zone', '2026-11-23T10:00:00.123456', 'with a zone'],
    ['a date only', '2026-11-23', 'with a zone'],
    ['an impossible date', '2026-02-30T10:00:00Z', 'not a real date'],
    ['nanoseconds', '2026-11-23T10:00:00.123456789Z', 'more precision than a microsecond'],
    ['before 2000', '1999-12-31T23:59:59Z', 'between 2000-01-01'],
    ['two days ahead', '2026-11-25T12:00:01Z', 'one day from now'],
  ])('refuses %s', (_name, value, problem) => {
    const result = toUtcMicros(value, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });
});
