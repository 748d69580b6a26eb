/** Six decimals: a price is a whole number of micro-units per 1,000,000 tokens. */
const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/**
 * "2.50" (currency units per 1M tokens) → 2_500_000 (micro-units per 1M tokens). Exact: no floating point
 * touches a price. Undefined when the text is not a non-negative decimal with at most six decimals.
 */
export function parseMicros(text: string): bigint | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  return BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** 2_500_000 → "2.50": at least two decimals, no trailing zeros beyond them. */
export function formatMicros(micros: bigint | number | string): string {
  const value = BigInt(micros);
  const units = value / 1_000_000n;
  const fraction = (value % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${units}.${fraction}`;
}

/** Why `text` is not a price, for the error detail. */
export function priceProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return 'must be a decimal string such as "2.50" (currency units per 1M tokens)';
  if (text.startsWith('-')) return 'must not be negative';
  if (/^\d+\.\d{7,}$/.test(text)) return 'has more precision than a micro-unit (at most 6 decimals)';
  if (!DECIMAL.test(text)) return 'must be a decimal string such as "2.50" (currency units per 1M tokens)';
  return undefined;
}
