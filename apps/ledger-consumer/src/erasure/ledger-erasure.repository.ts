import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ErasureRow } from '../ingest/consumed-record';
import { expectedSelect, FOLDED_BALANCES } from '../ledger/folded-balances';
import { BALANCE_TABLES, CONVERSATION_TOTALS, MESSAGE_TOTALS } from '../ledger/ledger-aggregates';

export interface ErasureCounts {
  entries: number;
  folded_rows: number;
  notices: number;
  dead_letters: number;
}

/** What the ledger writes for an operator who is gone (an actor column naming the erased user). */
export const ERASED_ACTOR = 'erased';

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
 * - balances: the user's rows go; the pseudonym's user, hourly and usage-record rows are recomputed from those
 *   entries; conversation and message balances of the user are gone for good (their ids are gone).
 * - notices keep their event id (replays skip them) under the pseudonym, without data or digest.
 * - dead letters whose Kafka key is the user id, or whose value names it as a JSON string, are deleted; sequence
 *   state and anomalies, conversation owners of the user are deleted; actor columns naming the user say 'erased'.
 */
@Injectable()
export class LedgerErasureRepository {
  async erase(manager: EntityManager, erasure: ErasureRow): Promise<ErasureCounts> {
    const userId = erasure.user_id;
    const pseudonym = `erased-${randomUUID()}`;

    // The user's usage records get a fresh random external id each (the same in entries and folded rows).
    const records: Array<{ source: string; external_id: string }> = await manager.query(
      `SELECT DISTINCT source, external_id FROM ledger.entries WHERE user_id = $1 AND external_id IS NOT NULL
       UNION
       SELECT f."row"->>'source', f."row"->>'external_id' FROM ${FOLDED_BALANCES} f
        WHERE f.balance = 'usage_records' AND f."row"->>'user_id' = $1`,
      [userId],
    );
    const renamed = records.map(() => `erased-${randomUUID()}`);
    const mapping = [records.map((r) => r.source), records.map((r) => r.external_id), renamed];

    const entries = await count(
      manager,
      `WITH map AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS m(source, external_id, renamed))
       UPDATE ledger.entries e
          SET user_id = $2, conversation_id = NULL, message_id = NULL, task_id = NULL, user_seq = NULL, payload_digest = NULL,
              external_id = coalesce((SELECT m.renamed FROM map m WHERE m.source = e.source AND m.external_id = e.external_id), e.external_id)
        WHERE e.user_id = $1`,
      [userId, pseudonym, ...mapping],
    );

    const droppedFolded = await count(manager, `DELETE FROM ${FOLDED_BALANCES} f WHERE f.balance = ANY($2::text[]) AND f."row"->>'user_id' = $1`, [
      userId,
      [CONVERSATION_TOTALS.name, MESSAGE_TOTALS.name],
    ]);
    const rewrittenFolded = await count(
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

    // Balances: the user's rows go, the pseudonym's are recomputed (journal + folded, the reconcile definition).
    for (const t of BALANCE_TABLES) {
      await manager.query(`DELETE FROM ${t.table} WHERE user_id = $1`, [userId]);
    }
    for (const t of BALANCE_TABLES) {
      if (t === CONVERSATION_TOTALS || t === MESSAGE_TOTALS) continue;
      const names = [...t.key.map((k) => k.name), ...t.columns.map((c) => c.name)];
      await manager.query(
        `INSERT INTO ${t.table} (${names.join(', ')}, updated_at)
         SELECT x.*, now() FROM (${expectedSelect(t, `(SELECT * FROM ledger.entries WHERE user_id = $1) AS own`, `f."row"->>'user_id' = $1`)}) x`,
        [pseudonym],
      );
    }

    const notices = await count(
      manager,
      `UPDATE ledger.notices SET user_id = $2, data = '{}'::jsonb, user_seq = NULL, payload_digest = NULL WHERE user_id = $1`,
      [userId, pseudonym],
    );
    const deadLetters = await count(
      manager,
      `DELETE FROM ledger.dead_letters
        WHERE key = convert_to($1, 'UTF8') OR position(convert_to($2, 'UTF8') IN coalesce(value, ''::bytea)) > 0`,
      [userId, JSON.stringify(userId)],
    );
    await manager.query(`DELETE FROM ledger.user_sequences WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM ledger.sequence_anomalies WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM ledger.conversation_owners WHERE user_id = $1`, [userId]);
    await manager.query(`UPDATE ledger.prices SET created_by = $2 WHERE created_by = $1`, [userId, ERASED_ACTOR]);
    await manager.query(`UPDATE ledger.reprices SET actor = $2 WHERE actor = $1`, [userId, ERASED_ACTOR]);

    const counts = { entries, folded_rows: droppedFolded + rewrittenFolded, notices, dead_letters: deadLetters };
    // A replay of the event erases again (finding nothing); the first application is the one on record.
    await manager.query(
      `INSERT INTO ledger.erasures (erasure_id, requested_at, entries, folded_rows, notices, dead_letters)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (erasure_id) DO NOTHING`,
      [erasure.erasure_id, erasure.requested_at, counts.entries, counts.folded_rows, counts.notices, counts.dead_letters],
    );
    return counts;
  }
}

async function count(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  // TypeORM returns [rows, affected] for UPDATE and DELETE through the pg driver.
  const result = await manager.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
