import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ErasureRow } from '../ingest/consumed-record';
import { expectedSelect, FOLDED_BALANCES } from '../ledger/folded-balances';
import { BALANCE_TABLES, BalanceTable, CONVERSATION_TOTALS, MESSAGE_TOTALS } from '../ledger/ledger-aggregates';

export interface ErasureCounts {
  /** false: the erasure was carried out before (a replay); only what the replay brought back was erased. */
  first: boolean;
  entries: number;
  folded_rows: number;
  notices: number;
  dead_letters: number;
}

/** What the ledger writes for an operator who is gone (an actor column naming the erased user). */
export const ERASED_ACTOR = 'erased';

const hasUser = (t: BalanceTable) => [...t.key, ...t.columns].some((c) => c.name === 'user_id');

/**
 * Carries out a user.erased event in the apply transaction (after the batch's earlier events, so everything
 * the user did before the erasure is counted first). The user id becomes a random pseudonym that is stored
 * nowhere else: not in the event's record (ledger.erasures holds the erasure id and counts only), not as a
 * hash. Organisation-wide sums (by model, day, source, task kind, …) and costs stay exactly what they were,
 * and reconcile still finds no drift, because every balance of the user is rebuilt from the rewritten journal:
 *
 * - journal entries (and the folded contributions of entries folded away): user id → pseudonym; the links to
 *   what the gateway deleted (conversation, message, task ids, the usage record's external id, replaced by a
 *   random one per record so the record still adds up) and the per-user sequence number are dropped; the payload
 *   digest goes too (it could be matched against a guessed user id). Event ids stay: a redelivered or replayed
 *   event of the user is a duplicate and is skipped, so replay brings nothing back.
 * - balances: the user's rows are recomputed from what is left of the user (nothing, the first time) and the
 *   pseudonym's from the rewritten entries; conversation and message balances of the erased rows are gone (their
 *   ids are).
 * - notices keep their event id (replays skip them) under the pseudonym, without data or digest.
 * - dead letters whose Kafka key is the user id, or whose value names it as a JSON string, are deleted; sequence
 *   state and anomalies, and owners of conversations no entry of the user names any more, are deleted; actor
 *   columns naming the user say 'erased'.
 *
 * The same erasure read again (a consumer group reset, ledger.erasures knows its id) only erases what lies before
 * it on its own partition, where every earlier event of the user is: what the re-read brought back. The user's
 * later data (the same id used again after the erasure) is theirs and stays.
 */
@Injectable()
export class LedgerErasureRepository {
  async erase(manager: EntityManager, erasure: ErasureRow): Promise<ErasureCounts> {
    const userId = erasure.user_id;
    const pseudonym = `erased-${randomUUID()}`;
    const [{ known }] = await manager.query(`SELECT EXISTS (SELECT 1 FROM ledger.erasures WHERE erasure_id = $1) AS known`, [erasure.erasure_id]);
    const first = !known;
    // Rows with a Kafka position that this application erases ($p1 topic, $p2 partition, $p3 offset): all of the
    // user's the first time, those before the erasure on its partition when it is read again.
    const position = [erasure.kafka_topic, erasure.kafka_partition, erasure.kafka_offset];
    const before = (topic: string, partition: string, offset: string, n: number) =>
      first ? 'TRUE' : `(${topic} = $${n}::text AND ${partition} = $${n + 1}::int AND ${offset} < $${n + 2}::bigint)`;

    // The user's usage records get a fresh random external id each (the same in entries and folded rows).
    const records: Array<{ source: string; external_id: string }> = await manager.query(
      `SELECT DISTINCT source, external_id FROM ledger.entries
        WHERE user_id = $1 AND external_id IS NOT NULL AND ${before('kafka_topic', 'kafka_partition', 'kafka_offset', 2)}
       ${first ? `UNION SELECT f."row"->>'source', f."row"->>'external_id' FROM ${FOLDED_BALANCES} f WHERE f.balance = 'usage_records' AND f."row"->>'user_id' = $1` : ''}`,
      [userId, ...(first ? [] : position)],
    );
    const mapping = [records.map((r) => r.source), records.map((r) => r.external_id), records.map(() => `erased-${randomUUID()}`)];

    const entries = await count(
      manager,
      `WITH map AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS m(source, external_id, renamed))
       UPDATE ledger.entries e
          SET user_id = $2, conversation_id = NULL, message_id = NULL, task_id = NULL, user_seq = NULL, payload_digest = NULL,
              external_id = coalesce((SELECT m.renamed FROM map m WHERE m.source = e.source AND m.external_id = e.external_id), e.external_id)
        WHERE e.user_id = $1 AND ${before('e.kafka_topic', 'e.kafka_partition', 'e.kafka_offset', 6)}`,
      [userId, pseudonym, ...mapping, ...(first ? [] : position)],
    );

    // Folded contributions have no position; they are older than any re-read brings back, so only the first time.
    let foldedRows = 0;
    if (first) {
      foldedRows += await count(manager, `DELETE FROM ${FOLDED_BALANCES} f WHERE f.balance = ANY($2::text[]) AND f."row"->>'user_id' = $1`, [
        userId,
        [CONVERSATION_TOTALS.name, MESSAGE_TOTALS.name],
      ]);
      foldedRows += await count(
        manager,
        `WITH map AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS m(source, external_id, renamed))
         UPDATE ${FOLDED_BALANCES} f
            SET "row" = f."row" || jsonb_build_object('user_id', $2::text)
                      || CASE WHEN f."row" ? 'conversation_id' THEN jsonb_build_object('conversation_id', NULL) ELSE '{}'::jsonb END
                      || CASE WHEN f."row" ? 'task_id' THEN jsonb_build_object('task_id', NULL) ELSE '{}'::jsonb END
                      || coalesce((SELECT jsonb_build_object('external_id', m.renamed) FROM map m
                                    WHERE m.source = f."row"->>'source' AND m.external_id = f."row"->>'external_id'), '{}'::jsonb)
          WHERE f.balance = ANY($6::text[]) AND f."row"->>'user_id' = $1`,
        [userId, pseudonym, ...mapping, BALANCE_TABLES.map((t) => t.name)],
      );
    }

    // Balances of the user and the pseudonym, recomputed (journal + folded: the reconcile definition).
    for (const t of BALANCE_TABLES.filter(hasUser)) {
      await manager.query(`DELETE FROM ${t.table} WHERE user_id = $1`, [userId]);
      const names = [...t.key.map((k) => k.name), ...t.columns.map((c) => c.name)];
      await manager.query(
        `INSERT INTO ${t.table} (${names.join(', ')}, updated_at)
         SELECT x.*, now() FROM (${expectedSelect(t, `(SELECT * FROM ledger.entries WHERE user_id = ANY($1::text[])) AS own`, `f."row"->>'user_id' = ANY($1::text[])`)}) x`,
        [[userId, pseudonym]],
      );
    }

    const notices = await count(
      manager,
      `UPDATE ledger.notices SET user_id = $2, data = '{}'::jsonb, user_seq = NULL, payload_digest = NULL
        WHERE user_id = $1 AND ${before('kafka_topic', 'kafka_partition', 'kafka_offset', 3)}`,
      [userId, pseudonym, ...(first ? [] : position)],
    );
    const deadLetters = await count(
      manager,
      `DELETE FROM ledger.dead_letters
        WHERE (key = convert_to($1, 'UTF8') OR position(convert_to($2, 'UTF8') IN coalesce(value, ''::bytea)) > 0)
          AND ${before('topic', 'partition', '"offset"', 3)}`,
      [userId, JSON.stringify(userId), ...(first ? [] : position)],
    );
    await manager.query(`DELETE FROM ledger.sequence_anomalies WHERE user_id = $1 AND ${before('kafka_topic', 'kafka_partition', 'kafka_offset', 2)}`, [
      userId,
      ...(first ? [] : position),
    ]);
    await manager.query(
      `DELETE FROM ledger.conversation_owners o
        WHERE o.user_id = $1 AND NOT EXISTS (SELECT 1 FROM ledger.entries e WHERE e.conversation_id = o.conversation_id)`,
      [userId],
    );
    if (first) {
      // Re-reads never move a user's sequence (duplicates are not sequenced); later events of the same id start at 1.
      await manager.query(`DELETE FROM ledger.user_sequences WHERE user_id = $1`, [userId]);
      await manager.query(`UPDATE ledger.prices SET created_by = $2 WHERE created_by = $1`, [userId, ERASED_ACTOR]);
      await manager.query(`UPDATE ledger.reprices SET actor = $2 WHERE actor = $1`, [userId, ERASED_ACTOR]);
    }

    const counts = { first, entries, folded_rows: foldedRows, notices, dead_letters: deadLetters };
    if (first) {
      await manager.query(
        `INSERT INTO ledger.erasures (erasure_id, requested_at, entries, folded_rows, notices, dead_letters) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (erasure_id) DO NOTHING`,
        [erasure.erasure_id, erasure.requested_at, entries, foldedRows, notices, deadLetters],
      );
    }
    return counts;
  }
}

async function count(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  // TypeORM returns [rows, affected] for UPDATE and DELETE through the pg driver.
  const result = await manager.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
