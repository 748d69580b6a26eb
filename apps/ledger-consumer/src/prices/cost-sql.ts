import { TOKENS_ADJUSTED } from '@chat-ledger/contracts';

/**
 * The one definition of what a journal row costs, used when an event is applied and when it is repriced.
 *
 * Prices are integer micro-units of the currency per 1,000,000 tokens. cached (cache read) and cache write
 * tokens are part of prompt_tokens, reasoning tokens part of completion_tokens; each kind is priced at its
 * own rate, which defaults to the input rate (cached input, cache write) or the output rate (reasoning) when
 * the price book leaves it empty. An adjustment is priced as input tokens of its model. The exact sum is
 * rounded once per event to the micro-unit, half away from zero (so a refund mirrors its charge); sums of
 * events add the rounded costs. An event that counts no tokens costs exactly 0; one whose model has no
 * price (or that names none) has no cost (null, counted as unpriced), never 0.
 *
 * `r` is the journal row (or its input), `p` the price row in effect (all columns null when there is none).
 */
export function costSql(r: string, p: string): string {
  return `CASE
    WHEN ${r}.tokens_delta = 0 AND ${r}.total_tokens = 0 THEN 0::bigint
    WHEN ${p}.model IS NULL THEN NULL::bigint
    WHEN ${r}.event_type = '${TOKENS_ADJUSTED}' THEN round(${r}.tokens_delta::numeric * ${p}.input_micros_per_mtok / 1000000)::bigint
    ELSE round((
        (${r}.prompt_tokens - ${r}.cached_tokens - ${r}.cache_write_tokens)::numeric * ${p}.input_micros_per_mtok
      + ${r}.cached_tokens::numeric * coalesce(${p}.cached_input_micros_per_mtok, ${p}.input_micros_per_mtok)
      + ${r}.cache_write_tokens::numeric * coalesce(${p}.cache_write_micros_per_mtok, ${p}.input_micros_per_mtok)
      + (${r}.completion_tokens - ${r}.reasoning_tokens)::numeric * ${p}.output_micros_per_mtok
      + ${r}.reasoning_tokens::numeric * coalesce(${p}.reasoning_micros_per_mtok, ${p}.output_micros_per_mtok)
    ) / 1000000)::bigint
  END`;
}

/** The price version in effect when the row's tokens were spent (its effective_at), as lateral join `p`. */
export function priceInEffectSql(r: string): string {
  return `LEFT JOIN LATERAL (
    SELECT * FROM ledger.prices pp WHERE pp.model = ${r}.model AND pp.effective_from <= ${r}.effective_at
     ORDER BY pp.effective_from DESC LIMIT 1) p ON true`;
}
