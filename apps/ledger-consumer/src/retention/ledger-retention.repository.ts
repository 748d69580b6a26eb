import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { foldedContributionsInsert } from '../ledger/folded-balances';
import { JOURNAL_FOLD_LOCK } from '../ledger/journal-fold-lock';
import { BALANCE_TABLES } from '../ledger/ledger-aggregates';

/**
 * One fold batch: up to $2 journal entries whose effective time is before $1 leave the journal; their ids go to
 * ledger.folded_events (so they stay duplicates forever) and what they contributed to every balance goes to
 * ledger.folded_balances (so reconcile still recomputes each balance exactly). The balances themselves are not
 * touched: totals are unchanged.
 */
const FOLD_SQL = `
WITH batch AS (
  SELECT event_id FROM ledger.entries WHERE effective_at < $1::timestamptz ORDER BY effective_at, event_id LIMIT $2
),
gone AS (DELETE FROM ledger.entries e USING batch b WHERE e.event_id = b.event_id RETURNING e.*),
ids AS (INSERT INTO ledger.folded_events (event_id) SELECT event_id FROM gone ON CONFLICT (event_id) DO NOTHING),
${BALANCE_TABLES.map((t, i) => `contribution_${i} AS (${foldedContributionsInsert(t, 'gone')})`).join(',\n')}
SELECT count(*)::int AS folded FROM gone`;

@Injectable()
export class LedgerRetentionRepository {
  /** Deletes up to `limit` dead letters that arrived more than `windowMs` ago; returns how many. */
  async deleteExpiredDeadLetters(manager: EntityManager, windowMs: number, limit: number): Promise<number> {
    const rows = await manager.query(
      `DELETE FROM ledger.dead_letters
        WHERE id IN (SELECT id FROM ledger.dead_letters WHERE received_at < now() - $1::bigint * interval '1 millisecond'
                      ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [windowMs, limit],
    );
    return Array.isArray(rows[0]) ? rows[0].length : rows.length;
  }

  /** The fold horizon for a window: the start of the UTC hour `windowMs` ago (whole hours fold at once). */
  async horizon(manager: EntityManager, windowMs: number): Promise<string> {
    const [row] = await manager.query(
      `SELECT to_char(date_trunc('hour', now() - $1::bigint * interval '1 millisecond', 'UTC') AT TIME ZONE 'UTC',
                      'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS horizon`,
      [windowMs],
    );
    return row.horizon;
  }

  /** One fold batch in the caller's transaction; moves the journal's complete_from up to the horizon when it folded anything. */
  async foldBatch(manager: EntityManager, horizon: string, limit: number): Promise<number> {
    await manager.query(`SELECT pg_advisory_xact_lock(${JOURNAL_FOLD_LOCK})`);
    const [{ folded }] = await manager.query(FOLD_SQL, [horizon, limit]);
    if (folded > 0) {
      await manager.query(
        `INSERT INTO ledger.journal_horizon AS h (complete_from) VALUES ($1)
         ON CONFLICT (singleton) DO UPDATE SET complete_from = GREATEST(h.complete_from, EXCLUDED.complete_from), updated_at = now()`,
        [horizon],
      );
    }
    return folded;
  }

  async completeFrom(manager: EntityManager): Promise<Date | null> {
    const rows: Array<{ complete_from: Date }> = await manager.query(`SELECT complete_from FROM ledger.journal_horizon`);
    return rows[0]?.complete_from ?? null;
  }
}
