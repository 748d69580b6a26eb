import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data lifecycle (docs/data-lifecycle.md):
 * - ledger.folded_events: ids of journal entries folded away by JOURNAL_RETENTION, so a redelivered or replayed
 *   event is still skipped by its id (exactly-once effect holds after folding). Ids only: no digest, which for an
 *   erased user's events would be a guessable link back to them.
 * - ledger.folded_balances: what the folded entries had contributed to each balance table, one row per key and
 *   fold batch (the balance's row as jsonb), so reconcile recomputes every balance as journal + folded.
 * - ledger.journal_horizon: the journal lists every entry with effective_at >= complete_from.
 * - ledger.erasures: which erasures (the gateway's erasure id) the ledger carried out, when, and how many rows it
 *   pseudonymised; never the user id or the pseudonym.
 * - notices' digest may be null, as the journal's may: an erased user's notices keep their event id (replays
 *   are duplicates) and lose what could be matched against a guess.
 */
export class ErasureAndJournalFolding1766100000000 implements MigrationInterface {
  name = 'ErasureAndJournalFolding1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger.folded_events (
        event_id  uuid        PRIMARY KEY,
        folded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger.folded_balances (
        id        bigserial   PRIMARY KEY,
        balance   varchar(32) NOT NULL,
        "row"     jsonb       NOT NULL,
        folded_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Reconcile reads one balance's rows; erasure finds one user's.
    await q.query(`CREATE INDEX folded_balances_user_idx ON ledger.folded_balances (balance, ("row"->>'user_id'))`);
    await q.query(`
      CREATE TABLE ledger.journal_horizon (
        singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        complete_from timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger.erasures (
        erasure_id          uuid        PRIMARY KEY,
        requested_at        timestamptz NOT NULL,
        applied_at          timestamptz NOT NULL DEFAULT now(),
        entries             integer     NOT NULL,
        folded_rows         integer     NOT NULL,
        notices             integer     NOT NULL,
        dead_letters        integer     NOT NULL
      )`);
    await q.query(`ALTER TABLE ledger.notices ALTER COLUMN payload_digest DROP NOT NULL`);
    // Dead-letter retention deletes by age (the received_at index exists); folding walks entries by effective_at (entries_time_idx).

    // A task's usage so far counts its folded entries too (their hourly contributions carry the task id), found
    // per task through this index (the gateway's running list looks tasks up one by one).
    await q.query(`
      CREATE INDEX folded_balances_task_idx ON ledger.folded_balances ((("row"->>'task_id')::uuid))
        WHERE balance = 'usage_hourly' AND "row"->>'task_id' IS NOT NULL`);
    await q.query(`
      CREATE OR REPLACE VIEW ledger.task_usage_view AS
        SELECT task_id, coalesce(sum(tokens), 0)::bigint AS tokens_total, coalesce(sum(cost), 0)::bigint AS cost_micros,
               coalesce(sum(unpriced), 0)::bigint AS unpriced_events, coalesce(sum(events), 0)::bigint AS events_count
          FROM (SELECT task_id, tokens_delta AS tokens, cost_micros AS cost, unpriced::bigint AS unpriced,
                       (event_type <> 'ledger.cost.corrected')::int::bigint AS events
                  FROM ledger.entries WHERE task_id IS NOT NULL
                UNION ALL
                SELECT ("row"->>'task_id')::uuid, ("row"->>'tokens_delta')::bigint, ("row"->>'cost_micros')::bigint,
                       ("row"->>'unpriced_events')::bigint, ("row"->>'events_count')::bigint
                  FROM ledger.folded_balances WHERE balance = 'usage_hourly' AND "row"->>'task_id' IS NOT NULL) parts
         GROUP BY task_id`);
    await q.query(`COMMENT ON VIEW ledger.task_usage_view IS 'Read by chat-gateway (tasks: usage and cost so far); owned by ledger-consumer.'`);
  }

  /** Folded entries' contributions are lost on the way down (reconcile then reports them as drift). */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW ledger.task_usage_view`);
    await q.query(`
      CREATE VIEW ledger.task_usage_view AS
        SELECT task_id, coalesce(sum(tokens_delta), 0)::bigint AS tokens_total, coalesce(sum(cost_micros), 0)::bigint AS cost_micros,
               coalesce(sum(unpriced), 0)::bigint AS unpriced_events,
               count(*) FILTER (WHERE event_type <> 'ledger.cost.corrected')::bigint AS events_count
          FROM ledger.entries WHERE task_id IS NOT NULL GROUP BY task_id`);
    await q.query(`COMMENT ON VIEW ledger.task_usage_view IS 'Read by chat-gateway (tasks: usage and cost so far); owned by ledger-consumer.'`);
    await q.query(`DELETE FROM ledger.notices WHERE payload_digest IS NULL`);
    await q.query(`ALTER TABLE ledger.notices ALTER COLUMN payload_digest SET NOT NULL`);
    await q.query(`DROP TABLE ledger.erasures`);
    await q.query(`DROP TABLE ledger.journal_horizon`);
    await q.query(`DROP TABLE ledger.folded_balances`);
    await q.query(`DROP TABLE ledger.folded_events`);
  }
}
