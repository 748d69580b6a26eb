import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Budgets are the gateway's: it enforces them when a round starts. One budget per user (limits in tokens
 * and/or cost per local day, week or month), the rounds' open reservations, the thresholds already
 * announced per period (so each is published once), and an audit of every change.
 */
export class Budgets1765000000001 implements MigrationInterface {
  name = 'Budgets1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat.budgets (
        user_id                  varchar(64) PRIMARY KEY,
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
    await q.query(`
      CREATE TABLE chat.budget_reservations (
        id                    uuid PRIMARY KEY,
        user_id               varchar(64) NOT NULL,
        conversation_id       uuid        NOT NULL,
        -- the user message that opened the round
        message_id            uuid        NOT NULL,
        tokens                bigint      NOT NULL CHECK (tokens > 0),
        cost_micros           bigint      NOT NULL DEFAULT 0,
        created_at            timestamptz NOT NULL DEFAULT now(),
        expires_at            timestamptz NOT NULL,
        settled_at            timestamptz,
        settled_by_message_id uuid
      )`);
    await q.query(`CREATE INDEX budget_reservations_open_idx ON chat.budget_reservations (user_id, created_at) WHERE settled_at IS NULL`);
    await q.query(`CREATE INDEX budget_reservations_conversation_idx ON chat.budget_reservations (conversation_id, created_at) WHERE settled_at IS NULL`);
    await q.query(`
      CREATE TABLE chat.budget_thresholds (
        user_id       varchar(64) NOT NULL,
        period_start  timestamptz NOT NULL,
        metric        varchar(6)  NOT NULL CHECK (metric IN ('tokens', 'cost')),
        threshold     smallint    NOT NULL CHECK (threshold IN (80, 100)),
        event_id      uuid        NOT NULL,
        crossed_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, period_start, metric, threshold)
      )`);
    await q.query(`
      CREATE TABLE chat.budget_changes (
        id       uuid PRIMARY KEY,
        user_id  varchar(64) NOT NULL,
        action   varchar(6)  NOT NULL CHECK (action IN ('put', 'delete')),
        budget   jsonb,
        actor    varchar(64) NOT NULL,
        at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX budget_changes_user_idx ON chat.budget_changes (user_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat.budget_changes`);
    await q.query(`DROP TABLE chat.budget_thresholds`);
    await q.query(`DROP TABLE chat.budget_reservations`);
    await q.query(`DROP TABLE chat.budgets`);
  }
}
