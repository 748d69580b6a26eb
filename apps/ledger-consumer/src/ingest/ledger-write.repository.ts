import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '@chat-ledger/database';
import { BALANCE_TABLES, foldUpsert } from '../ledger/ledger-aggregates';
import { costSql, priceInEffectSql } from '../prices/cost-sql';
import type { DeadLetterRow, JournalRow, NoticeRow } from './consumed-record';

const JOURNAL_COLUMNS = [
  'event_id',
  'event_type',
  'event_version',
  'source',
  'user_id',
  'conversation_id',
  'message_id',
  'role',
  'model',
  'reason',
  'tokens_delta',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'total_tokens',
  'occurred_at',
  'effective_at',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'user_seq',
  'channel',
  'operation',
  'task_id',
  'task_kind',
  'external_id',
  'revision',
  'org_id',
  'project_id',
  'api_key_id',
] as const;

/**
 * One statement per batch: every event is priced with the price in effect when its tokens were spent (see
 * cost-sql.ts), the journal insert skips event ids already applied (ON CONFLICT DO NOTHING), and only the
 * rows it RETURNs are folded into every balance table with one set-based upsert each.
 * All parts run in the caller's transaction and see the same snapshot, so `known` (journal rows that
 * existed before this statement) tells a duplicate (same digest: a redelivery or a replay) from a
 * conflicting one (another payload under an id already applied).
 */
export const APPLY_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    event_id uuid, event_type text, event_version smallint, source text, user_id text, conversation_id uuid,
    message_id uuid, role text, model text, reason text, tokens_delta bigint, prompt_tokens bigint,
    completion_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, reasoning_tokens bigint, total_tokens bigint,
    occurred_at timestamptz, effective_at timestamptz, kafka_topic text, kafka_partition integer, kafka_offset bigint,
    user_seq bigint, channel text, operation text, task_id uuid, task_kind text, payload_digest text, external_id text, revision bigint,
    base_prompt_tokens bigint, base_completion_tokens bigint, base_cached_tokens bigint, base_cache_write_tokens bigint,
    base_reasoning_tokens bigint, org_id text, project_id text, api_key_id text)
),
priced AS (
  SELECT i.*, p.effective_from AS price_effective_from, ${costSql('i', 'p')} AS cost_micros
    FROM input i ${priceInEffectSql('i')}
),
known AS (
  SELECT e.event_id, e.payload_digest FROM ledger.entries e WHERE e.event_id IN (SELECT event_id FROM input)
),
inserted AS (
  INSERT INTO ledger.entries (${JOURNAL_COLUMNS.join(', ')}, payload_digest, cost_micros, unpriced, price_effective_from)
  SELECT ${JOURNAL_COLUMNS.join(', ')}, decode(payload_digest, 'hex'), cost_micros, CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END, price_effective_from
    FROM priced
   -- folded away by journal retention: counted long ago, a duplicate like any other known id
   WHERE NOT EXISTS (SELECT 1 FROM ledger.folded_events f WHERE f.event_id = priced.event_id)
   ORDER BY kafka_partition, kafka_offset
  ON CONFLICT (event_id) DO NOTHING
  RETURNING *
),
${BALANCE_TABLES.map((t, i) => `fold_${i} AS (${foldUpsert(t, 'inserted')})`).join(',\n')}
SELECT coalesce((SELECT jsonb_object_agg(event_type, n) FROM (SELECT event_type, count(*) AS n FROM inserted GROUP BY 1) x), '{}'::jsonb) AS applied,
       coalesce((SELECT jsonb_agg(i.event_id) FROM input i JOIN known k USING (event_id)
                  WHERE k.payload_digest IS NOT NULL AND k.payload_digest <> decode(i.payload_digest, 'hex')), '[]'::jsonb) AS conflicts,
       coalesce((SELECT jsonb_agg(jsonb_build_object('event_id', event_id, 'user_id', user_id, 'user_seq', user_seq,
                                                     'kafka_topic', kafka_topic, 'kafka_partition', kafka_partition, 'kafka_offset', kafka_offset::text)
                                  ORDER BY kafka_partition, kafka_offset)
                   FROM inserted WHERE user_seq IS NOT NULL), '[]'::jsonb) AS sequenced,
       coalesce((SELECT jsonb_agg(m) FROM (
                   SELECT model, sum(greatest(tokens_delta, 0)) AS tokens_spent, sum(greatest(-tokens_delta, 0)) AS tokens_credited,
                          coalesce(sum(greatest(cost_micros, 0)), 0) AS cost_spent_micros, coalesce(sum(greatest(-cost_micros, 0)), 0) AS cost_credited_micros,
                          sum(unpriced) AS unpriced
                     FROM inserted GROUP BY model) m), '[]'::jsonb) AS by_model
`;

/**
 * The first event naming a conversation fixes its owner. Taken before the journal insert, in its own
 * statement: a concurrent batch (another partition) fixing the same conversation makes this insert wait for
 * its commit, and the SELECT after it then sees the owner that batch fixed.
 */
const FIX_OWNERS_SQL = `
INSERT INTO ledger.conversation_owners (conversation_id, user_id, first_event_id)
SELECT DISTINCT ON (conversation_id) conversation_id, user_id, event_id
  FROM jsonb_to_recordset($1::jsonb) AS r(conversation_id uuid, user_id text, event_id uuid, kafka_partition integer, kafka_offset bigint)
 WHERE conversation_id IS NOT NULL
   -- a redelivered event fixes nothing: its conversation's owner was fixed when it was applied (or erased since)
   AND NOT EXISTS (SELECT 1 FROM ledger.entries e WHERE e.event_id = r.event_id)
   AND NOT EXISTS (SELECT 1 FROM ledger.folded_events f WHERE f.event_id = r.event_id)
 ORDER BY conversation_id, kafka_partition, kafka_offset
ON CONFLICT (conversation_id) DO NOTHING`;

const OWNER_MISMATCH_SQL = `
SELECT r.event_id::text, o.user_id AS owner
  FROM jsonb_to_recordset($1::jsonb) AS r(conversation_id uuid, user_id text, event_id uuid)
  JOIN ledger.conversation_owners o ON o.conversation_id = r.conversation_id
 WHERE o.user_id <> r.user_id`;

/** Notices: kept once by event id (a redelivery or replay adds nothing); a known id with another digest is a conflict. */
const NOTICES_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    event_id uuid, event_type text, event_version smallint, source text, user_id text, occurred_at timestamptz, data jsonb,
    user_seq bigint, payload_digest text, kafka_topic text, kafka_partition integer, kafka_offset bigint)
),
known AS (SELECT n.event_id, n.payload_digest FROM ledger.notices n WHERE n.event_id IN (SELECT event_id FROM input)),
inserted AS (
  INSERT INTO ledger.notices (event_id, event_type, event_version, source, user_id, occurred_at, data, user_seq, payload_digest,
                              kafka_topic, kafka_partition, kafka_offset)
  SELECT event_id, event_type, event_version, source, user_id, occurred_at, data, user_seq, decode(payload_digest, 'hex'),
         kafka_topic, kafka_partition, kafka_offset
    FROM input ORDER BY kafka_partition, kafka_offset
  ON CONFLICT (event_id) DO NOTHING
  RETURNING *
)
SELECT coalesce((SELECT jsonb_object_agg(event_type, n) FROM (SELECT event_type, count(*) AS n FROM inserted GROUP BY 1) x), '{}'::jsonb) AS applied,
       (SELECT count(*) FROM inserted)::int AS stored,
       coalesce((SELECT jsonb_agg(i.event_id) FROM input i JOIN known k USING (event_id)
                  WHERE k.payload_digest <> decode(i.payload_digest, 'hex')), '[]'::jsonb) AS conflicts,
       coalesce((SELECT jsonb_agg(jsonb_build_object('event_id', event_id, 'user_id', user_id, 'user_seq', user_seq,
                                                     'kafka_topic', kafka_topic, 'kafka_partition', kafka_partition, 'kafka_offset', kafka_offset::text)
                                  ORDER BY kafka_partition, kafka_offset)
                   FROM inserted WHERE user_seq IS NOT NULL), '[]'::jsonb) AS sequenced
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

export interface SequencedRow {
  event_id: string;
  user_id: string;
  user_seq: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

/** What the newly written rows of one model (null: none named) add up to; spent and credited apart, each >= 0. */
export interface ModelSums {
  model: string | null;
  tokens_spent: number;
  tokens_credited: number;
  cost_spent_micros: number;
  cost_credited_micros: number;
  /** Rows without a price for their model when applied. */
  unpriced: number;
}

export interface ApplyJournalResult {
  /** Journal rows newly written, by event type. */
  applied: Record<string, number>;
  /** The newly written rows' tokens and cost, by model (for the ledger's metrics). */
  byModel: ModelSums[];
  /** Event ids already in the journal with another payload digest: nothing of them was applied. */
  conflicts: string[];
  /** Newly written rows that carry a per-user sequence number, in Kafka order. */
  sequenced: SequencedRow[];
}

export interface SequenceAnomaly {
  user_id: string;
  kind: 'gap' | 'reorder';
  expected_seq: number;
  seen_seq: number;
  event: SequencedRow;
}

@Injectable()
export class LedgerWriteRepository {
  /** Writes the batch's new journal rows and folds them into the balances; says what was new and what conflicted. */
  async applyJournal(manager: EntityManager, rows: JournalRow[]): Promise<ApplyJournalResult> {
    if (rows.length === 0) return { applied: {}, byModel: [], conflicts: [], sequenced: [] };
    // Prepared: the statement is large and runs once per batch, so its parse and plan are paid once per connection.
    const [result] = await preparedQuery<Record<'applied' | 'by_model' | 'conflicts' | 'sequenced', unknown>>(manager, 'ledger_apply', APPLY_SQL, [
      JSON.stringify(rows),
    ]);
    const applied = result.applied as Record<string, number | string>;
    return {
      applied: Object.fromEntries(Object.entries(applied).map(([type, n]) => [type, Number(n)])),
      byModel: (result.by_model as Array<Record<keyof ModelSums, string | number | null>>).map((m) => ({
        model: m.model as string | null,
        tokens_spent: Number(m.tokens_spent),
        tokens_credited: Number(m.tokens_credited),
        cost_spent_micros: Number(m.cost_spent_micros),
        cost_credited_micros: Number(m.cost_credited_micros),
        unpriced: Number(m.unpriced),
      })),
      conflicts: result.conflicts as string[],
      sequenced: (result.sequenced as Array<SequencedRow & { user_seq: number | string }>).map((r) => ({ ...r, user_seq: Number(r.user_seq) })),
    };
  }

  /** Keeps the batch's new notices; says which were new (with their sequence numbers) and which conflicted. */
  async storeNotices(
    manager: EntityManager,
    rows: NoticeRow[],
  ): Promise<{ applied: Record<string, number>; stored: number; conflicts: string[]; sequenced: SequencedRow[] }> {
    if (rows.length === 0) return { applied: {}, stored: 0, conflicts: [], sequenced: [] };
    const [result] = await manager.query(NOTICES_SQL, [JSON.stringify(rows)]);
    return {
      applied: Object.fromEntries(Object.entries(result.applied as Record<string, number | string>).map(([type, n]) => [type, Number(n)])),
      stored: Number(result.stored),
      conflicts: result.conflicts as string[],
      sequenced: (result.sequenced as Array<SequencedRow & { user_seq: number | string }>).map((r) => ({ ...r, user_seq: Number(r.user_seq) })),
    };
  }

  /** Fixes owners of conversations named for the first time; returns the event ids that name one under another user. */
  async ownerMismatches(manager: EntityManager, rows: JournalRow[]): Promise<Map<string, string>> {
    const named = rows.filter((r) => r.conversation_id !== null);
    if (named.length === 0) return new Map();
    const json = JSON.stringify(
      named.map(({ conversation_id, user_id, event_id, kafka_partition, kafka_offset }) => ({
        conversation_id,
        user_id,
        event_id,
        kafka_partition,
        kafka_offset,
      })),
    );
    await manager.query(FIX_OWNERS_SQL, [json]);
    const mismatched: Array<{ event_id: string; owner: string }> = await manager.query(OWNER_MISMATCH_SQL, [json]);
    return new Map(mismatched.map((m) => [m.event_id, m.owner]));
  }

  /**
   * Advances each user's last applied sequence number over the batch's numbered events (in Kafka order) and
   * records every gap (numbers skipped) and reorder (a number at or below the last one: a late arrival).
   * The users' rows are locked for the transaction, so two batches of one user cannot interleave here.
   */
  async recordSequences(manager: EntityManager, sequenced: SequencedRow[]): Promise<SequenceAnomaly[]> {
    if (sequenced.length === 0) return [];
    const users = [...new Set(sequenced.map((r) => r.user_id))].sort();
    const current: Array<{ user_id: string; last_seq: string }> = await manager.query(
      `SELECT user_id, last_seq::text FROM ledger.user_sequences WHERE user_id = ANY($1::text[]) ORDER BY user_id FOR UPDATE`,
      [users],
    );
    const last = new Map(current.map((r) => [r.user_id, Number(r.last_seq)]));
    const anomalies: SequenceAnomaly[] = [];
    for (const row of sequenced) {
      const before = last.get(row.user_id) ?? 0;
      if (row.user_seq > before + 1) anomalies.push({ user_id: row.user_id, kind: 'gap', expected_seq: before + 1, seen_seq: row.user_seq, event: row });
      if (row.user_seq <= before) anomalies.push({ user_id: row.user_id, kind: 'reorder', expected_seq: before + 1, seen_seq: row.user_seq, event: row });
      last.set(row.user_id, Math.max(before, row.user_seq));
    }
    await manager.query(
      `INSERT INTO ledger.user_sequences AS s (user_id, last_seq)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (user_id) DO UPDATE SET last_seq = GREATEST(s.last_seq, EXCLUDED.last_seq), updated_at = now()`,
      [users, users.map((u) => last.get(u)!)],
    );
    if (anomalies.length > 0) {
      await manager.query(
        `INSERT INTO ledger.sequence_anomalies (user_id, kind, expected_seq, seen_seq, event_id, kafka_topic, kafka_partition, kafka_offset)
         SELECT user_id, kind, expected_seq, seen_seq, event_id, kafka_topic, kafka_partition, kafka_offset
           FROM jsonb_to_recordset($1::jsonb) AS r(user_id text, kind text, expected_seq bigint, seen_seq bigint, event_id uuid,
                                                   kafka_topic text, kafka_partition integer, kafka_offset bigint)`,
        [JSON.stringify(anomalies.map((a) => ({ ...a.event, kind: a.kind, expected_seq: a.expected_seq, seen_seq: a.seen_seq })))],
      );
    }
    return anomalies;
  }

  /** Returns the reasons of the dead letters that were new (a redelivered record is already there). */
  async storeDeadLetters(manager: EntityManager, rows: DeadLetterRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted: Array<{ reason: string }> = await manager.query(DEAD_LETTER_SQL, [JSON.stringify(rows)]);
    return inserted.map((r) => r.reason);
  }
}
