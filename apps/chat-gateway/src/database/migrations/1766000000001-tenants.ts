import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_COLUMNS = `ADD COLUMN org_id varchar(64), ADD COLUMN project_id varchar(64), ADD COLUMN api_key_id varchar(64)`;
const DROP_TENANT_COLUMNS = `DROP COLUMN org_id, DROP COLUMN project_id, DROP COLUMN api_key_id`;

/**
 * Tenants, as the gateway keeps them:
 * - chat.user_orgs binds a user to one organisation the first time the gateway sees the user with one (a user
 *   token's org_id claim, or a service of an organisation writing for the user); writes naming the user for
 *   another organisation are refused from then on.
 * - Conversations carry their organisation and project (their messages inherit them); usage records and tasks
 *   carry organisation, project and API key, fixed when they are created. Rows before this migration have none.
 * - Budgets of an organisation (chat.org_budgets), whose rounds' reservations name the organisation so its
 *   open reservations can be summed; the audit of budget changes names either a user or an organisation.
 */
export class Tenants1766000000001 implements MigrationInterface {
  name = 'Tenants1766000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat.user_orgs (
        user_id   varchar(64) PRIMARY KEY,
        org_id    varchar(64) NOT NULL,
        -- the token (user or service) whose write bound the user
        bound_by  varchar(64) NOT NULL,
        bound_at  timestamptz NOT NULL DEFAULT now()
      )`);
    // An organisation's users: its budget adds what their outbox rows hold and the ledger has not applied yet.
    await q.query(`CREATE INDEX user_orgs_org_idx ON chat.user_orgs (org_id, user_id)`);

    await q.query(`ALTER TABLE chat.conversations ADD COLUMN org_id varchar(64), ADD COLUMN project_id varchar(64)`);
    await q.query(`ALTER TABLE chat.usage_records ${TENANT_COLUMNS}`);
    await q.query(`ALTER TABLE chat.tasks ${TENANT_COLUMNS}`);

    await q.query(`
      CREATE TABLE chat.org_budgets (
        org_id                   varchar(64) PRIMARY KEY,
        period                   varchar(8)  NOT NULL CHECK (period IN ('day', 'week', 'month')),
        tz                       varchar(64) NOT NULL,
        limit_tokens             bigint CHECK (limit_tokens >= 0),
        limit_cost_micros        bigint CHECK (limit_cost_micros >= 0),
        mode                     varchar(4)  NOT NULL CHECK (mode IN ('hard', 'soft')),
        round_reservation_tokens bigint      NOT NULL DEFAULT 0 CHECK (round_reservation_tokens >= 0),
        created_at               timestamptz NOT NULL DEFAULT now(),
        updated_at               timestamptz NOT NULL DEFAULT now(),
        updated_by               varchar(64) NOT NULL,
        CHECK (limit_tokens IS NOT NULL OR limit_cost_micros IS NOT NULL)
      )`);
    await q.query(`ALTER TABLE chat.budget_reservations ADD COLUMN org_id varchar(64)`);
    await q.query(`
      CREATE INDEX budget_reservations_org_open_idx ON chat.budget_reservations (org_id, created_at)
        WHERE settled_at IS NULL AND org_id IS NOT NULL`);
    await q.query(`ALTER TABLE chat.budget_changes ADD COLUMN org_id varchar(64), ALTER COLUMN user_id DROP NOT NULL`);
    await q.query(`ALTER TABLE chat.budget_changes ADD CONSTRAINT budget_changes_subject_check CHECK ((user_id IS NULL) <> (org_id IS NULL))`);
    await q.query(`CREATE INDEX budget_changes_org_idx ON chat.budget_changes (org_id, at) WHERE org_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX chat.budget_changes_org_idx`);
    // The schema before has no organisations' budgets: their audit goes with them.
    await q.query(`DELETE FROM chat.budget_changes WHERE org_id IS NOT NULL`);
    await q.query(`ALTER TABLE chat.budget_changes DROP CONSTRAINT budget_changes_subject_check`);
    await q.query(`ALTER TABLE chat.budget_changes DROP COLUMN org_id, ALTER COLUMN user_id SET NOT NULL`);
    await q.query(`DROP INDEX chat.budget_reservations_org_open_idx`);
    await q.query(`ALTER TABLE chat.budget_reservations DROP COLUMN org_id`);
    await q.query(`DROP TABLE chat.org_budgets`);
    await q.query(`ALTER TABLE chat.tasks ${DROP_TENANT_COLUMNS}`);
    await q.query(`ALTER TABLE chat.usage_records ${DROP_TENANT_COLUMNS}`);
    await q.query(`ALTER TABLE chat.conversations DROP COLUMN org_id, DROP COLUMN project_id`);
    await q.query(`DROP TABLE chat.user_orgs`);
  }
}
