import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** How the generated events look: what the gateway writes for an assistant message with usage. */
export const BENCH_USERS = 1_000;

/**
 * Generated events, one per i in [$1, $2], spread over $3 users (one conversation each): the CTE `g`
 * that ENVELOPE_SQL and HEADERS_SQL read. Shared with the peer's fill so both move the same bytes.
 */
export const GENERATED_EVENTS_CTE = `WITH g AS (
  SELECT i, 'bench-u-' || (i % $3) AS user_id, gen_random_uuid() AS event_id, gen_random_uuid() AS message_id,
         -- the version (4) and variant (8) nibbles make it a valid UUID for the ledger's validation
         (overlay(overlay(md5('conv' || (i % $3)) placing '4' from 13 for 1) placing '8' from 17 for 1))::uuid AS conversation_id,
         to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at
    FROM generate_series($1::int, $2::int) AS i
)`;

/** The chat.message.recorded envelope the gateway writes, as a jsonb expression over `g`. */
export const ENVELOPE_SQL = `jsonb_build_object(
  'id', event_id, 'type', 'chat.message.recorded', 'version', 1, 'source', 'chat-gateway',
  'occurred_at', occurred_at,
  'data', jsonb_build_object(
    'user_id', user_id, 'conversation_id', conversation_id, 'message_id', message_id,
    'role', 'assistant', 'model', 'gpt-4o',
    'usage', jsonb_build_object('prompt_tokens', 120 + i % 7, 'completion_tokens', 80, 'cached_tokens', 0,
                                'reasoning_tokens', 0, 'total_tokens', 200 + i % 7),
    'tokens_delta', 200 + i % 7))`;

/** The Kafka headers the relay sends, as a jsonb expression over `g`. */
export const HEADERS_SQL = `jsonb_build_object('event-id', event_id, 'event-type', 'chat.message.recorded', 'content-type', 'application/json')`;

/**
 * Inserts `rows` pending chat.message.recorded rows into outbox.events with one INSERT … SELECT per
 * 100,000 rows: envelopes shaped and sized exactly like the gateway's (uuid ids, RFC 3339 time, usage),
 * spread over BENCH_USERS users so every relay shard and Kafka partition gets work.
 * `startAt` offsets the user/ids so several fills into one table do not collide.
 */
export async function fillOutbox(url: string, rows: number, startAt = 0): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const chunk = 100_000;
    for (let from = startAt; from < startAt + rows; from += chunk) {
      const to = Math.min(startAt + rows, from + chunk) - 1;
      await client.query(
        `${GENERATED_EVENTS_CTE}
         INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers)
         SELECT event_id, 'chat.message.recorded', user_id, ${ENVELOPE_SQL}, ${HEADERS_SQL}
           FROM g ORDER BY i`,
        [from, to, BENCH_USERS],
      );
    }
    await client.query('ANALYZE outbox.events');
  } finally {
    await client.end();
  }
}

/** One chat.message.recorded envelope as the gateway writes it (200 tokens), with the relay's headers. */
export function gatewayEvent(
  userId: string,
  conversationId: string,
  messageId: string,
): { envelope: Record<string, unknown>; headers: Record<string, string> } {
  const id = randomUUID();
  const usage = { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 200 };
  return {
    envelope: {
      id,
      type: 'chat.message.recorded',
      version: 1,
      source: 'chat-gateway',
      occurred_at: new Date().toISOString(),
      data: { user_id: userId, conversation_id: conversationId, message_id: messageId, role: 'assistant', model: 'gpt-4o', usage, tokens_delta: 200 },
    },
    headers: { 'event-id': id, 'event-type': 'chat.message.recorded', 'content-type': 'application/json' },
  };
}

export interface OutboxMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** The rows as the relay would send them (key, value, headers), in id order. */
export async function readOutboxMessages(url: string): Promise<OutboxMessage[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; value: string; headers: Record<string, string> }>(
      'SELECT partition_key AS key, payload::text AS value, headers FROM outbox.events ORDER BY id',
    );
    return rows;
  } finally {
    await client.end();
  }
}
