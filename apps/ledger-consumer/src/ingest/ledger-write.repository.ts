import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BALANCE_TABLES, foldUpsert } from '../ledger/ledger-aggregates';
import type { DeadLetterRow, JournalRow } from './consumed-record';

const JOURNAL_COLUMNS = [
  'event_id', 'event_type', 'event_version', 'source', 'user_id', 'conversation_id', 'message_id', 'role', 'model', 'reason',
  'tokens_delta', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'reasoning_tokens', 'total_tokens',
  'occurred_at', 'effective_at', 'kafka_topic', 'kafka_partition', 'kafka_offset',
] as const;

/**
 * One statement per batch: the journal insert skips event ids already applied (ON CONFLICT DO NOTHING),
 * and only the rows it RETURNs are folded into every balance table with one set-based upsert each.
 * All parts run in the caller's transaction and see the same snapshot.
 */
export const APPLY_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    event_id uuid, event_type text, event_version smallint, source text, user_id text, conversation_id uuid,
    message_id uuid, role text, model text, reason text, tokens_delta bigint, prompt_tokens bigint,
    completion_tokens bigint, cached_tokens bigint, reasoning_tokens bigint, total_tokens bigint,
    occurred_at timestamptz, effective_at timestamptz, kafka_topic text, kafka_partition integer, kafka_offset bigint)
),
inserted AS (
  INSERT INTO ledger.entries (${JOURNAL_COLUMNS.join(', ')})
  SELECT ${JOURNAL_COLUMNS.join(', ')} FROM input ORDER BY kafka_partition, kafka_offset
  ON CONFLICT (event_id) DO NOTHING
  RETURNING *
),
${BALANCE_TABLES.map((t, i) => `fold_${i} AS (${foldUpsert(t, 'inserted')})`).join(',\n')}
SELECT coalesce((SELECT jsonb_object_agg(event_type, n) FROM (SELECT event_type, count(*) AS n FROM inserted GROUP BY 1) x), '{}'::jsonb) AS applied
`;

const DEAD_LETTER_SQL = `
INSERT INTO ledger.dead_letters (topic, partition, "offset", key, value, headers, reason, error, event_id, event_type, kafka_timestamp)
SELECT topic, partition, "offset", decode(key, 'base64'), decode(value, 'base64'), headers, reason, error, event_id, event_type, kafka_timestamp
  FROM jsonb_to_recordset($1::jsonb) AS r(
    topic text, partition integer, "offset" bigint, key text, value text, headers jsonb, reason text, error text,
    event_id uuid, event_type text, kafka_timestamp timestamptz)
 ORDER BY topic, partition, "offset"
ON CONFLICT (topic, partition, "offset") DO NOTHING
RETURNING reason`;

@Injectable()
export class LedgerWriteRepository {
  /** Returns how many journal rows were new, per event type (the rest were duplicates). */
  async applyJournal(manager: EntityManager, rows: JournalRow[]): Promise<Record<string, number>> {
    if (rows.length === 0) return {};
    const [result] = await manager.query(APPLY_SQL, [JSON.stringify(rows)]);
    const applied = result.applied as Record<string, number | string>;
    return Object.fromEntries(Object.entries(applied).map(([type, n]) => [type, Number(n)]));
  }

  /** Returns the reasons of the dead letters that were new (a redelivered record is already there). */
  async storeDeadLetters(manager: EntityManager, rows: DeadLetterRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted: Array<{ reason: string }> = await manager.query(DEAD_LETTER_SQL, [JSON.stringify(rows)]);
    return inserted.map((r) => r.reason);
  }
}
