/** The sums every aggregate endpoint reports, per group or bucket. */
export interface UsageSums {
  events_count: number;
  messages_counted: number;
  adjustments_count: number;
  /** Signed sum of tokens_delta (messages and adjustments): what the balances count. */
  tokens_delta: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
}

export const SUM_COLUMNS = [
  'events_count',
  'messages_counted',
  'adjustments_count',
  'tokens_delta',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'total_tokens',
] as const satisfies ReadonlyArray<keyof UsageSums>;

/** `coalesce(sum(x), 0)::text AS x, …` over a source aliased `u` (bigint sums leave PostgreSQL as text). */
export const SUMS_SELECT = SUM_COLUMNS.map((c) => `coalesce(sum(u.${c}), 0)::text AS ${c}`).join(', ');

export function toSums(row: Record<string, unknown>): UsageSums {
  return Object.fromEntries(SUM_COLUMNS.map((c) => [c, Number(row[c] ?? 0)])) as unknown as UsageSums;
}
