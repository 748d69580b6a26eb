import { aggregateSelect, AggregateColumn, BalanceTable } from './ledger-aggregates';

/**
 * Journal folding (JOURNAL_RETENTION) deletes old journal entries; what they had contributed to each balance is
 * kept in ledger.folded_balances, one row per balance key and fold batch (the balance row computed from the folded
 * entries, as jsonb, so the table follows whatever columns a balance gains). A balance is then a function of
 * journal + folded contributions, and that is what reconcile and erasure recompute.
 */
export const FOLDED_BALANCES = 'ledger.folded_balances';

const positions = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(', ');
const columnsOf = (t: BalanceTable) => [...t.key.map((k) => k.name), ...t.columns.map((c) => c.name)];

/** How partial aggregates of one key combine: the same merge the consumer's fold uses. */
function mergeAggregate(c: AggregateColumn): string {
  const uuid = c.expr.includes('::uuid');
  switch (c.merge) {
    case 'add':
      return `sum(${c.name})::bigint AS ${c.name}`;
    case 'least':
      return uuid ? `min(${c.name}::text)::uuid AS ${c.name}` : `min(${c.name}) AS ${c.name}`;
    case 'greatest':
      return uuid ? `max(${c.name}::text)::uuid AS ${c.name}` : `max(${c.name}) AS ${c.name}`;
  }
}

/** The folded contributions to one balance as rows of that balance's columns. */
export function foldedRowsSelect(t: BalanceTable, where = 'TRUE'): string {
  const cols = columnsOf(t).map((c) => `r.${c}`);
  return `SELECT ${cols.join(', ')} FROM ${FOLDED_BALANCES} f CROSS JOIN LATERAL jsonb_populate_record(NULL::${t.table}, f."row") r
           WHERE f.balance = '${t.name}' AND (${where})`;
}

/**
 * The balance's rows as the journal and the folded contributions imply them: the same aggregate definitions
 * the consumer folds with, over the journal rows in `source`, merged key by key with the folded rows.
 * `foldedWhere` filters folded rows (alias f, the jsonb in f."row").
 */
export function expectedSelect(t: BalanceTable, source = 'ledger.entries', foldedWhere = 'TRUE'): string {
  const keys = t.key.map((k) => k.name);
  return `SELECT ${[...keys, ...t.columns.map(mergeAggregate)].join(', ')}
            FROM (${aggregateSelect(t, source)} UNION ALL ${foldedRowsSelect(t, foldedWhere)}) parts
           GROUP BY ${positions(keys.length)}`;
}

/** Inserts the contributions of the journal rows in `source` (a CTE of rows being folded away) for every balance. */
export function foldedContributionsInsert(t: BalanceTable, source: string): string {
  return `INSERT INTO ${FOLDED_BALANCES} (balance, "row") SELECT '${t.name}', to_jsonb(g) FROM (${aggregateSelect(t, source)}) g`;
}
