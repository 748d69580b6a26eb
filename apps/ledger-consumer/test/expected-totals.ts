import type { Client } from 'pg';
import type { TokenEvent } from './events';

type Sums = Record<string, number | string | null>;

const USAGE = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'reasoning_tokens', 'total_tokens'] as const;

function hourOf(time: string): string {
  const ms = Math.floor(Date.parse(time) / 3_600_000) * 3_600_000;
  return new Date(ms).toISOString().replace('.000Z', '.000000Z');
}

function bump(map: Map<string, Sums>, key: string, init: Sums, add: Record<string, number>): void {
  const row = map.get(key) ?? { ...init };
  for (const [k, v] of Object.entries(add)) row[k] = Number(row[k] ?? 0) + v;
  map.set(key, row);
}

/**
 * The balances an event list must produce, computed independently of the SQL (plain JS over the events):
 * what every test compares the database with.
 */
export function expectedTotals(events: TokenEvent[]) {
  const users = new Map<string, Sums>();
  const conversations = new Map<string, Sums>();
  const messages = new Map<string, Sums>();
  const hourly = new Map<string, Sums>();
  for (const e of events) {
    const isMessage = e.type === 'chat.message.recorded';
    const d = e.data;
    const usage = isMessage ? (d as unknown as { usage: Record<string, number> }).usage : undefined;
    const counts = {
      tokens_total: d.tokens_delta,
      events_count: 1,
      messages_counted: isMessage ? 1 : 0,
      adjustments_count: isMessage ? 0 : 1,
      adjustments_total: isMessage ? 0 : d.tokens_delta,
      ...Object.fromEntries(USAGE.map((u) => [u, usage?.[u] ?? 0])),
    };
    bump(users, d.user_id, { user_id: d.user_id }, counts);
    if (d.conversation_id) bump(conversations, d.conversation_id, { conversation_id: d.conversation_id, user_id: d.user_id }, counts);
    if (d.message_id) {
      bump(
        messages,
        d.message_id,
        { message_id: d.message_id, conversation_id: d.conversation_id ?? null, user_id: d.user_id },
        {
          tokens_total: d.tokens_delta,
          events_count: 1,
          adjustments_count: counts.adjustments_count,
          adjustments_total: counts.adjustments_total,
        },
      );
      const m = messages.get(d.message_id)!;
      if (m.conversation_id === null && d.conversation_id) m.conversation_id = d.conversation_id;
    }
    const model = isMessage ? ((d as { model: string | null }).model ?? null) : null;
    const reason = isMessage ? 'message' : (d as { reason: string }).reason;
    const at = isMessage ? e.occurred_at : (d as { triggered_at: string }).triggered_at;
    const bucket = hourOf(at);
    const { tokens_total, adjustments_total, ...rest } = counts;
    void adjustments_total;
    bump(
      hourly,
      JSON.stringify([d.user_id, bucket, d.conversation_id ?? null, model, reason]),
      { user_id: d.user_id, bucket, conversation_id: d.conversation_id ?? null, model, reason },
      { ...rest, tokens_delta: tokens_total },
    );
  }
  const sorted = (m: Map<string, Sums>) => [...m.entries()].sort(([a], [b]) => compare(a, b)).map(([, v]) => v);
  return { users: sorted(users), conversations: sorted(conversations), messages: sorted(messages), hourly: sorted(hourly) };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortBy = <T extends Record<string, unknown>>(rows: T[], key: (r: T) => string) => rows.sort((a, b) => compare(key(a), key(b)));

const n = (cols: string[]) => cols.map((c) => `${c}::float8 AS ${c}`).join(', ');
const COUNTS = ['tokens_total', 'events_count', 'messages_counted', 'adjustments_count', 'adjustments_total', ...USAGE];

/** The same shape read from the ledger tables (only the given users' rows). */
export async function actualTotals(db: Client, userIds: string[]) {
  const q = async (sql: string) => (await db.query(sql, [userIds])).rows;
  const bucket = `to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS bucket`;
  return {
    users: sortBy(await q(`SELECT user_id, ${n(COUNTS)} FROM ledger.user_totals WHERE user_id = ANY($1)`), (r) => r.user_id),
    conversations: sortBy(
      await q(`SELECT conversation_id::text, user_id, ${n(COUNTS)} FROM ledger.conversation_totals WHERE user_id = ANY($1)`),
      (r) => r.conversation_id,
    ),
    messages: sortBy(
      await q(`SELECT message_id::text, conversation_id::text, user_id, ${n(['tokens_total', 'events_count', 'adjustments_count', 'adjustments_total'])}
                 FROM ledger.message_totals WHERE user_id = ANY($1)`),
      (r) => r.message_id,
    ),
    hourly: sortBy(
      await q(`SELECT user_id, ${bucket}, conversation_id::text, model, reason,
                      ${n(['events_count', 'messages_counted', 'adjustments_count', 'tokens_delta', ...USAGE])}
                 FROM ledger.usage_hourly WHERE user_id = ANY($1)`),
      (r) => JSON.stringify([r.user_id, r.bucket, r.conversation_id, r.model, r.reason]),
    ),
  };
}
