import { CHAT_MESSAGE_RECORDED, TOKENS_ADJUSTED, USAGE_UPSERTED } from '@chat-ledger/contracts';

/**
 * Every balance table is a GROUP BY over journal rows (ledger.entries). These definitions are the one
 * source of that truth: the consumer folds newly inserted journal rows into the tables with them, and
 * reconcile recomputes the tables from the whole journal with the very same expressions, so
 * "totals equal the sum of the journal" (Guarantee 4) is checkable column by column.
 *
 * Expressions refer to journal columns without a table alias, so they work over `ledger.entries` and
 * over the rows an INSERT … RETURNING just produced.
 */
export interface AggregateColumn {
  name: string;
  /** Aggregate over journal rows of one group. */
  expr: string;
  /** How an existing row absorbs the aggregate of new rows: add, or keep the least / greatest. */
  merge: 'add' | 'least' | 'greatest';
}

export interface BalanceTable {
  /** Short name used in reports, e.g. `user_totals`. */
  name: string;
  table: string;
  /** Grouping key: column name and the expression computing it from a journal row. */
  key: Array<{ name: string; expr: string }>;
  /** Which journal rows count toward this table. */
  where: string;
  columns: AggregateColumn[];
}

/**
 * Journal rows the ledger writes itself when prices change (POST /v1/admin/prices/reprice): the difference
 * between an event's cost at the new price book and what was counted for it so far. They carry cost only
 * (tokens 0) and are not events: counts leave them out.
 */
export const COST_CORRECTED = 'ledger.cost.corrected';

const isMessage = `event_type = '${CHAT_MESSAGE_RECORDED}'`;
const isAdjustment = `event_type = '${TOKENS_ADJUSTED}'`;
const isEvent = `event_type <> '${COST_CORRECTED}'`;

const add = (name: string, expr: string): AggregateColumn => ({ name, expr: `(${expr})::bigint`, merge: 'add' });
const sumOf = (column: string) => add(column, `coalesce(sum(${column}), 0)`);

const COUNTS = [
  add('events_count', `count(*) FILTER (WHERE ${isEvent})`),
  add('messages_counted', `count(*) FILTER (WHERE ${isMessage})`),
  add('adjustments_count', `count(*) FILTER (WHERE ${isAdjustment})`),
];
const USAGE = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'].map(sumOf);
/**
 * Cost in integer micro-units of the deployment's currency: the sum of the priced events' costs (and their
 * corrections), and how many events are unpriced (no price for their model when applied). A group whose
 * events are all unpriced has no cost, never a cost of 0 (the read side shows null).
 */
const COST = [sumOf('cost_micros'), add('unpriced_events', 'coalesce(sum(unpriced), 0)')];
const ACTIVITY: AggregateColumn[] = [
  { name: 'first_activity_at', expr: 'min(effective_at)', merge: 'least' },
  { name: 'last_activity_at', expr: 'max(effective_at)', merge: 'greatest' },
];
const TOKENS_TOTAL = add('tokens_total', 'coalesce(sum(tokens_delta), 0)');
const ADJUSTMENTS_TOTAL = add('adjustments_total', `coalesce(sum(tokens_delta) FILTER (WHERE ${isAdjustment}), 0)`);
/**
 * Owner columns are deterministic functions of the journal too (the least value seen), so an event that
 * names a conversation with another user id (a producer bug) cannot make apply order matter.
 */
const leastOf = (name: string, expr: string): AggregateColumn => ({ name, expr, merge: 'least' });

/**
 * The organisation a balance belongs to: the one its events name (min ignores the events of no tenant; should a
 * producer other than the gateway name two, the least one), so apply order never matters.
 */
const ORG = leastOf('org_id', 'min(org_id)');

export const USER_TOTALS: BalanceTable = {
  name: 'user_totals',
  table: 'ledger.user_totals',
  key: [{ name: 'user_id', expr: 'user_id' }],
  where: 'TRUE',
  columns: [ORG, TOKENS_TOTAL, ...COUNTS, ADJUSTMENTS_TOTAL, ...USAGE, ...COST, ...ACTIVITY],
};

export const CONVERSATION_TOTALS: BalanceTable = {
  name: 'conversation_totals',
  table: 'ledger.conversation_totals',
  key: [{ name: 'conversation_id', expr: 'conversation_id' }],
  where: 'conversation_id IS NOT NULL',
  columns: [
    leastOf('user_id', 'min(user_id)'),
    ORG,
    leastOf('project_id', 'min(project_id)'),
    TOKENS_TOTAL,
    ...COUNTS,
    ADJUSTMENTS_TOTAL,
    ...USAGE,
    ...COST,
    ...ACTIVITY,
  ],
};

export const MESSAGE_TOTALS: BalanceTable = {
  name: 'message_totals',
  table: 'ledger.message_totals',
  key: [{ name: 'message_id', expr: 'message_id' }],
  where: 'message_id IS NOT NULL',
  columns: [
    // uuid has no min(); its text form sorts the same way.
    leastOf('conversation_id', 'min(conversation_id::text)::uuid'),
    leastOf('user_id', 'min(user_id)'),
    TOKENS_TOTAL,
    add('events_count', `count(*) FILTER (WHERE ${isEvent})`),
    add('adjustments_count', `count(*) FILTER (WHERE ${isAdjustment})`),
    ADJUSTMENTS_TOTAL,
    ...COST,
  ],
};

export const USAGE_HOURLY: BalanceTable = {
  name: 'usage_hourly',
  table: 'ledger.usage_hourly',
  key: [
    { name: 'user_id', expr: 'user_id' },
    // Hours of UTC, whatever the session time zone (date_trunc without a zone would use it).
    { name: 'bucket', expr: `date_trunc('hour', effective_at, 'UTC')` },
    { name: 'conversation_id', expr: 'conversation_id' },
    { name: 'model', expr: 'model' },
    { name: 'reason', expr: 'reason' },
    { name: 'source', expr: 'source' },
    { name: 'channel', expr: 'channel' },
    { name: 'operation', expr: 'operation' },
    { name: 'task_id', expr: 'task_id' },
    { name: 'task_kind', expr: 'task_kind' },
    { name: 'org_id', expr: 'org_id' },
    { name: 'project_id', expr: 'project_id' },
    { name: 'api_key_id', expr: 'api_key_id' },
  ],
  where: 'TRUE',
  columns: [...COUNTS, add('tokens_delta', 'coalesce(sum(tokens_delta), 0)'), ...USAGE, ...COST],
};

/**
 * Usage records (ledger.usage.upserted) as the ledger counted them: per (source, external_id) the latest
 * revision applied and the sum of its journal rows, which is that revision's usage because every row counts
 * the difference to the rows before it. The consumer rebases each new revision on this row
 * (ingest/usage-records.repository.ts). Identity columns are the same on every row of a record (an event
 * naming other ones is a dead letter), so the least of them is that value.
 */
export const USAGE_RECORDS: BalanceTable = {
  name: 'usage_records',
  table: 'ledger.usage_records',
  key: [
    { name: 'source', expr: 'source' },
    { name: 'external_id', expr: 'external_id' },
  ],
  where: `event_type = '${USAGE_UPSERTED}'`,
  columns: [
    leastOf('user_id', 'min(user_id)'),
    leastOf('conversation_id', 'min(conversation_id::text)::uuid'),
    leastOf('model', 'min(model)'),
    leastOf('channel', 'min(channel)'),
    leastOf('operation', 'min(operation)'),
    ORG,
    leastOf('project_id', 'min(project_id)'),
    leastOf('api_key_id', 'min(api_key_id)'),
    { name: 'revision', expr: 'max(revision)', merge: 'greatest' },
    add('events_count', 'count(*)'),
    ...USAGE,
  ],
};

export const BALANCE_TABLES: readonly BalanceTable[] = [USER_TOTALS, CONVERSATION_TOTALS, MESSAGE_TOTALS, USAGE_HOURLY, USAGE_RECORDS];

const positions = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(', ');

/** SELECT of the table's rows computed from the journal rows in `source`. */
export function aggregateSelect(t: BalanceTable, source: string): string {
  const cols = [...t.key.map((k) => `${k.expr} AS ${k.name}`), ...t.columns.map((c) => `${c.expr} AS ${c.name}`)];
  return `SELECT ${cols.join(', ')} FROM ${source} WHERE ${t.where} GROUP BY ${positions(t.key.length)}`;
}

/**
 * Folds the journal rows in `source` (a CTE of freshly inserted rows) into the table with one upsert.
 * Rows are sorted by key so concurrent batches take row locks in the same order.
 */
export function foldUpsert(t: BalanceTable, source: string): string {
  const names = [...t.key.map((k) => k.name), ...t.columns.map((c) => c.name)];
  const merge = t.columns.map((c) => {
    const existing = `t.${c.name}`;
    const incoming = `excluded.${c.name}`;
    switch (c.merge) {
      case 'add':
        return `${c.name} = ${existing} + ${incoming}`;
      case 'least':
        return `${c.name} = LEAST(${existing}, ${incoming})`;
      case 'greatest':
        return `${c.name} = GREATEST(${existing}, ${incoming})`;
    }
  });
  return `INSERT INTO ${t.table} AS t (${names.join(', ')}, updated_at)
    SELECT g.*, now() FROM (${aggregateSelect(t, source)} ORDER BY ${positions(t.key.length)}) g
    ON CONFLICT (${t.key.map((k) => k.name).join(', ')}) DO UPDATE SET ${merge.join(', ')}, updated_at = excluded.updated_at
    RETURNING 1`;
}
