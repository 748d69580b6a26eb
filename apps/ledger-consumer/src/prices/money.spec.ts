import { formatMicros, parseMicros, priceProblem } from './money';

describe('prices as exact micro-units', () => {
  it('parses decimal strings without floating point', () => {
    expect(parseMicros('2.50')).toBe(2_500_000n);
    expect(parseMicros('0.000001')).toBe(1n);
    expect(parseMicros('15')).toBe(15_000_000n);
    expect(parseMicros('0.1')).toBe(100_000n); // 0.1 has no exact binary float; here it is exact
    expect(parseMicros('999999999999.999999')).toBe(999_999_999_999_999_999n);
  });

  it('refuses what is not a price, naming why', () => {
    expect(parseMicros('-1')).toBeUndefined();
    expect(priceProblem('-1')).toBe('must not be negative');
    expect(priceProblem('1.0000001')).toBe('has more precision than a micro-unit (at most 6 decimals)');
    for (const bad of ['', '1e3', '1,5', ' 1', '.5', '1.', 'NaN', '0x10']) expect(priceProblem(bad)).toMatch(/decimal string/);
    expect(priceProblem(2.5)).toMatch(/decimal string/);
  });

  it('formats back with at least two decimals', () => {
    expect(formatMicros(2_500_000n)).toBe('2.50');
    expect(formatMicros(1)).toBe('0.000001');
    expect(formatMicros('15000000')).toBe('15.00');
    expect(formatMicros(1_234_500)).toBe('1.2345');
  });
});
