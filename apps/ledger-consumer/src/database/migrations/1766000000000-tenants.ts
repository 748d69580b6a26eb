import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = ['org_id', 'project_id', 'api_key_id'];
const ROLLUP_KEY_BEFORE = ['user_id', 'bucket', 'conversation_id', 'model', 'reason', 'source', 'channel', 'operation', 'task_id', 'task_kind'];
const ROLLUP_SUMS = [
  'events_count',
  'messages_counted',
  'adjustments_count',
  'tokens_delta',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_micros',
  'unpriced_events',
];
const SPEND_VIEW_BEFORE = `SELECT event_id, user_id, effective_at, tokens_delta, cost_micros, unpriced FROM ledger.entries`;

/**
 * Tenants: every journal row may name an organisation, a project and an API key (null: no tenant, which is what
 * every row written before this migration is).
 * - The hourly rollup is keyed by them too. Its rows so far keep their key with three nulls (no tenant), so the
 *   re-keying rewrites nothing; down folds rows that differ only by tenant back together.
 * - A user's and a conversation's balance carry the organisation their events name (the least one, should a
 *   producer other than the gateway name two), so an organisation's readers can be told which balances are theirs;
 *   a conversation also carries its project (sessions filter by both).
 * - A usage record's tenant is part of its identity, like its user.
 * - The gateway's budgets read the spend of an organisation through user_spend_view, which gains org_id and project_id.
 * Indexes: an organisation's journal by time (entries, edges of rollup ranges, budgets), its rollup by hour, its
 * conversations by activity.
 */
export class Tenants1766000000000 implements MigrationInterface {
  name = 'Tenants1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const columns = TENANT.map((c) => `ADD COLUMN ${c} varchar(64)`).join(', ');
    await q.query(`ALTER TABLE ledger.entries ${columns}`);
    await q.query(`CREATE INDEX entries_org_time_idx ON ledger.entries (org_id, effective_at DESC, event_id DESC) WHERE org_id IS NOT NULL`);

    await q.query(`ALTER TABLE ledger.usage_hourly ${columns}`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(
      `ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key UNIQUE NULLS NOT DISTINCT (${[...ROLLUP_KEY_BEFORE, ...TENANT].join(', ')})`,
    );
    await q.query(`CREATE INDEX usage_hourly_org_idx ON ledger.usage_hourly (org_id, bucket) WHERE org_id IS NOT NULL`);

    await q.query(`ALTER TABLE ledger.user_totals ADD COLUMN org_id varchar(64)`);
    await q.query(`ALTER TABLE ledger.conversation_totals ADD COLUMN org_id varchar(64), ADD COLUMN project_id varchar(64)`);
    await q.query(`
      CREATE INDEX conversation_totals_org_activity_idx
        ON ledger.conversation_totals (org_id, last_activity_at DESC, conversation_id) WHERE org_id IS NOT NULL`);

    await q.query(`ALTER TABLE ledger.usage_records ${columns}`);

    // CREATE OR REPLACE may only add columns at the end: the view's first columns stay as the gateway reads them.
    await q.query(`CREATE OR REPLACE VIEW ledger.user_spend_view AS
      SELECT event_id, user_id, effective_at, tokens_delta, cost_micros, unpriced, org_id, project_id FROM ledger.entries`);
    await q.query(
      `COMMENT ON VIEW ledger.user_spend_view IS 'Read by chat-gateway (budgets: spend per user or organisation and period); owned by ledger-consumer.'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW ledger.user_spend_view`);
    await q.query(`CREATE VIEW ledger.user_spend_view AS ${SPEND_VIEW_BEFORE}`);
    await q.query(`COMMENT ON VIEW ledger.user_spend_view IS 'Read by chat-gateway (budgets: spend per user and period); owned by ledger-consumer.'`);

    const drop = TENANT.map((c) => `DROP COLUMN ${c}`).join(', ');
    await q.query(`ALTER TABLE ledger.usage_records ${drop}`);
    await q.query(`DROP INDEX ledger.conversation_totals_org_activity_idx`);
    await q.query(`ALTER TABLE ledger.conversation_totals DROP COLUMN org_id, DROP COLUMN project_id`);
    await q.query(`ALTER TABLE ledger.user_totals DROP COLUMN org_id`);

    // Rows that differ only by tenant become one row of the old key again.
    await q.query(`DROP INDEX ledger.usage_hourly_org_idx`);
    await q.query(`ALTER TABLE ledger.usage_hourly DROP CONSTRAINT usage_hourly_key`);
    await q.query(`
      WITH folded AS (DELETE FROM ledger.usage_hourly RETURNING *)
      INSERT INTO ledger.usage_hourly (${ROLLUP_KEY_BEFORE.join(', ')}, ${ROLLUP_SUMS.join(', ')}, updated_at)
      SELECT ${ROLLUP_KEY_BEFORE.join(', ')}, ${ROLLUP_SUMS.map((c) => `sum(${c})`).join(', ')}, max(updated_at)
        FROM folded GROUP BY ${ROLLUP_KEY_BEFORE.join(', ')}`);
    await q.query(`ALTER TABLE ledger.usage_hourly ${drop}`);
    await q.query(`ALTER TABLE ledger.usage_hourly ADD CONSTRAINT usage_hourly_key UNIQUE NULLS NOT DISTINCT (${ROLLUP_KEY_BEFORE.join(', ')})`);

    await q.query(`DROP INDEX ledger.entries_org_time_idx`);
    await q.query(`ALTER TABLE ledger.entries ${drop}`);
  }
}
