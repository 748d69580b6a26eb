import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two things for budgets, which the gateway enforces:
 * - ledger.notices: events on the topic that count no tokens (ledger.budget.threshold_crossed), kept once by
 *   event id so their user's sequence numbers are accounted for; never part of the journal or a total.
 * - What the gateway may read to know a user's spend (the contract behind its budget checks): the view
 *   ledger.user_spend_view (every applied event's tokens and cost, by user and effective time) and the
 *   function ledger.event_cost_micros, which prices an event the ledger has not applied yet exactly as the
 *   ledger will (the same rule as its cost-sql, frozen here as of this migration).
 */
export class NoticesAndBudgetViews1765000000000 implements MigrationInterface {
  name = 'NoticesAndBudgetViews1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger.notices (
        event_id        uuid PRIMARY KEY,
        event_type      varchar(100) NOT NULL,
        event_version   smallint     NOT NULL,
        source          varchar(100) NOT NULL,
        user_id         varchar(64)  NOT NULL,
        occurred_at     timestamptz  NOT NULL,
        data            jsonb        NOT NULL,
        user_seq        bigint CHECK (user_seq > 0),
        payload_digest  bytea        NOT NULL,
        kafka_topic     varchar(249) NOT NULL,
        kafka_partition integer      NOT NULL,
        kafka_offset    bigint       NOT NULL,
        applied_at      timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX notices_user_time_idx ON ledger.notices (user_id, occurred_at)`);

    await q.query(`
      CREATE VIEW ledger.user_spend_view AS
        SELECT event_id, user_id, effective_at, tokens_delta, cost_micros, unpriced FROM ledger.entries`);
    await q.query(`COMMENT ON VIEW ledger.user_spend_view IS 'Read by chat-gateway (budgets: spend per user and period); owned by ledger-consumer.'`);
    await q.query(`
      CREATE FUNCTION ledger.event_cost_micros(
          event_type text, model text, effective_at timestamptz, tokens_delta bigint,
          prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint, cache_write_tokens bigint, reasoning_tokens bigint)
        RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT CASE
          WHEN tokens_delta = 0 AND prompt_tokens + completion_tokens = 0 THEN 0::bigint
          WHEN p.model IS NULL THEN NULL::bigint
          WHEN event_type = 'ledger.tokens.adjusted' THEN round(tokens_delta::numeric * p.input_micros_per_mtok / 1000000)::bigint
          ELSE round((
              (prompt_tokens - cached_tokens - cache_write_tokens)::numeric * p.input_micros_per_mtok
            + cached_tokens::numeric * coalesce(p.cached_input_micros_per_mtok, p.input_micros_per_mtok)
            + cache_write_tokens::numeric * coalesce(p.cache_write_micros_per_mtok, p.input_micros_per_mtok)
            + (completion_tokens - reasoning_tokens)::numeric * p.output_micros_per_mtok
            + reasoning_tokens::numeric * coalesce(p.reasoning_micros_per_mtok, p.output_micros_per_mtok)
          ) / 1000000)::bigint
        END
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (
          SELECT * FROM ledger.prices pp WHERE pp.model = event_cost_micros.model AND pp.effective_from <= event_cost_micros.effective_at
           ORDER BY pp.effective_from DESC LIMIT 1) p ON true
      $$`);
    await q.query(
      `COMMENT ON FUNCTION ledger.event_cost_micros IS 'Called by chat-gateway (budgets: cost of events not applied yet); owned by ledger-consumer.'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger.event_cost_micros`);
    await q.query(`DROP VIEW ledger.user_spend_view`);
    await q.query(`DROP TABLE ledger.notices`);
  }
}
