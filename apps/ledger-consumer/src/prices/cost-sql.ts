import { TOKENS_ADJUSTED, USAGE_UPSERTED } from '@chat-ledger/contracts';

/**
 * The one definition of what a journal row costs, used when an event is applied and when it is repriced.
 *
 * Prices are integer micro-units of the currency per 1,000,000 tokens. cached (cache read) and cache write
 * tokens are part of prompt_tokens, reasoning tokens part of completion_tokens; each kind is priced at its
 * own rate, which defaults to the input rate (cached input, cache write) or the output rate (reasoning) when
 * the price book leaves it empty. An adjustment is priced as input tokens of its model. The exact sum is
 * rounded once per event to the micro-unit, half away from zero (so a refund mirrors its charge); sums of
 * events add the rounded costs. An event that counts no tokens costs exactly 0; one whose model has no
 * price (or that names none) has no cost (null, counted as unpriced), never 0. A usage record's row is
 * priced as the difference it makes (usageRecordCostSql).
 *
 * `r` is the journal row (or its input), `p` the price row in effect (all columns null when there is none).
 */
export function costSql(r: string, p: string): string {
  return `CASE
    WHEN ${r}.event_type = '${USAGE_UPSERTED}' THEN ${usageRecordCostSql(r, p)}
    WHEN ${r}.tokens_delta = 0 AND ${r}.total_tokens = 0 THEN 0::bigint
    WHEN ${p}.model IS NULL THEN NULL::bigint
    WHEN ${r}.event_type = '${TOKENS_ADJUSTED}' THEN round(${r}.tokens_delta::numeric * ${p}.input_micros_per_mtok / 1000000)::bigint
    ELSE ${tokensCostSql((kind) => `${r}.${kind}`, p)}
  END`;
}

type TokenKind = 'prompt_tokens' | 'completion_tokens' | 'cached_tokens' | 'cache_write_tokens' | 'reasoning_tokens';
const KINDS: TokenKind[] = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens'];

/** What a usage costs at price `p`, rounded once to the micro-unit; `tokens(kind)` is the SQL of each count. */
function tokensCostSql(tokens: (kind: TokenKind) => string, p: string): string {
  const t = (kind: TokenKind) => `(${tokens(kind)})`;
  return `round((
        (${t('prompt_tokens')} - ${t('cached_tokens')} - ${t('cache_write_tokens')})::numeric * ${p}.input_micros_per_mtok
      + ${t('cached_tokens')}::numeric * coalesce(${p}.cached_input_micros_per_mtok, ${p}.input_micros_per_mtok)
      + ${t('cache_write_tokens')}::numeric * coalesce(${p}.cache_write_micros_per_mtok, ${p}.input_micros_per_mtok)
      + (${t('completion_tokens')} - ${t('reasoning_tokens')})::numeric * ${p}.output_micros_per_mtok
      + ${t('reasoning_tokens')}::numeric * coalesce(${p}.reasoning_micros_per_mtok, ${p}.output_micros_per_mtok)
    ) / 1000000)::bigint`;
}

/**
 * A usage record's row counts the difference between the revision it applies and what the ledger had counted
 * for the record before it (`base_*`, null for the first). Its cost is the difference of the two usages' costs
 * at the one price in effect at the row's time, each rounded like an event's, so a record's rows add up to
 * what its latest revision costs (at that price; a reprice corrects rows priced at older versions). A row that
 * changes no count costs 0, priced or not.
 */
function usageRecordCostSql(r: string, p: string): string {
  const base = (kind: TokenKind) => `coalesce(${r}.base_${kind}, 0)`;
  return `CASE
      WHEN ${KINDS.map((k) => `${r}.${k} = 0`).join(' AND ')} THEN 0::bigint
      WHEN ${p}.model IS NULL THEN NULL::bigint
      ELSE ${tokensCostSql((kind) => `${base(kind)} + ${r}.${kind}`, p)} - ${tokensCostSql(base, p)}
    END`;
}

/**
 * The columns costSql needs of a usage record's row besides its own (`base_*`: what the ledger had counted for
 * the record before the row), recomputed from the journal for repricing: the sum of the record's rows of lower
 * revisions. The rebase (ingest/usage-records.repository.ts) gives every row that counts something a revision
 * above every row applied before it, and a row applied late with a revision at or below the latest counts
 * nothing, so that sum is exactly what the row was rebased on. `e` is a journal row; the join is `b`.
 */
export function usageRecordBaseSql(e: string): string {
  return `LEFT JOIN LATERAL (
    SELECT ${KINDS.map((k) => `sum(x.${k}) AS base_${k}`).join(', ')}
      FROM ledger.entries x
     WHERE ${e}.external_id IS NOT NULL AND x.event_type = '${USAGE_UPSERTED}'
       AND x.source = ${e}.source AND x.external_id = ${e}.external_id AND x.revision < ${e}.revision) b ON true`;
}

/** The price version in effect when the row's tokens were spent (its effective_at), as lateral join `p`. */
export function priceInEffectSql(r: string): string {
  return `LEFT JOIN LATERAL (
    SELECT * FROM ledger.prices pp WHERE pp.model = ${r}.model AND pp.effective_from <= ${r}.effective_at
     ORDER BY pp.effective_from DESC LIMIT 1) p ON true`;
}
