/** The sums every aggregate endpoint reports, per group or bucket. */
export interface UsageSums {
  /** Events (messages and adjustments; cost corrections are not events). */
  events_count: number;
  messages_counted: number;
  adjustments_count: number;
  /** Signed sum of tokens_delta (messages and adjustments): what the balances count. */
  tokens_delta: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  /**
   * Integer micro-units of the deployment's currency: the priced events' cost (corrections included). null
   * when the group has events and none of them is priced; unpriced events are never counted as free.
   */
  cost_micros: number | null;
  /** Events counted without a price (their model had none when they were applied). */
  unpriced_events: number;
}

export const SUM_COLUMNS = [
  'events_count',
  'messages_counted',
  'adjustments_count',
  'tokens_delta',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_micros',
  'unpriced_events',
] as const satisfies ReadonlyArray<keyof UsageSums>;

/** `coalesce(sum(x), 0)::text AS x, …` over a source aliased `u` (bigint sums leave PostgreSQL as text). */
export const SUMS_SELECT = SUM_COLUMNS.map((c) => `coalesce(sum(u.${c}), 0)::text AS ${c}`).join(', ');

/** A cost is known when at least one event of the group is priced, or when the group has no events. */
export function withCostRule(sums: Omit<UsageSums, 'cost_micros'> & { cost_micros: number | null }): UsageSums {
  const priced = sums.events_count - sums.unpriced_events;
  return { ...sums, cost_micros: sums.events_count > 0 && priced <= 0 ? null : (sums.cost_micros ?? 0) };
}

export function toSums(row: Record<string, unknown>): UsageSums {
  return withCostRule(Object.fromEntries(SUM_COLUMNS.map((c) => [c, Number(row[c] ?? 0)])) as unknown as UsageSums);
}

export function addSums(rows: UsageSums[]): UsageSums {
  const total = Object.fromEntries(SUM_COLUMNS.map((c) => [c, 0])) as unknown as Record<(typeof SUM_COLUMNS)[number], number>;
  for (const row of rows) for (const c of SUM_COLUMNS) total[c] += row[c] ?? 0;
  return withCostRule(total);
}
