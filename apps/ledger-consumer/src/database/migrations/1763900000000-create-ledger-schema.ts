import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger: an append-only journal (one row per applied event, primary key = event id), balances per
 * user, conversation and message, an hourly rollup for analytics, and the dead-letter store.
 * Every total is a pure function of the journal (see reconcile/ledger-aggregates.ts).
 */
export class CreateLedgerSchema1763900000000 implements MigrationInterface {
  name = 'CreateLedgerSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ledger`);

    await q.query(`
      CREATE TABLE ledger.entries (
        event_id          uuid         PRIMARY KEY,
        event_type        varchar(100) NOT NULL CHECK (event_type IN ('chat.message.recorded', 'ledger.tokens.adjusted')),
        event_version     smallint     NOT NULL,
        source            varchar(100) NOT NULL,
        user_id           varchar(64)  NOT NULL,
        conversation_id   uuid,
        message_id        uuid,
        role              varchar(16),
        model             varchar(100),
        -- 'message' for chat.message.recorded, data.reason for ledger.tokens.adjusted
        reason            varchar(64)  NOT NULL,
        tokens_delta      bigint       NOT NULL,
        prompt_tokens     bigint       NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
        completion_tokens bigint       NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
        cached_tokens     bigint       NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
        reasoning_tokens  bigint       NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
        total_tokens      bigint       NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
        -- the envelope's occurred_at
        occurred_at       timestamptz  NOT NULL,
        -- when the tokens count: occurred_at for messages, data.triggered_at for adjustments (bucketing time)
        effective_at      timestamptz  NOT NULL,
        applied_at        timestamptz  NOT NULL DEFAULT now(),
        kafka_topic       varchar(249) NOT NULL,
        kafka_partition   integer      NOT NULL,
        kafka_offset      bigint       NOT NULL
      )`);
    // The usage/entries API pages newest first by (effective_at, event_id), per user, per conversation or overall.
    await q.query(`CREATE INDEX entries_user_time_idx ON ledger.entries (user_id, effective_at DESC, event_id DESC)`);
    await q.query(`
      CREATE INDEX entries_conversation_time_idx ON ledger.entries (conversation_id, effective_at DESC, event_id DESC)
        WHERE conversation_id IS NOT NULL`);
    await q.query(`CREATE INDEX entries_time_idx ON ledger.entries (effective_at DESC, event_id DESC)`);
    await q.query(`CREATE INDEX entries_message_idx ON ledger.entries (message_id) WHERE message_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE ledger.user_totals (
        user_id            varchar(64) PRIMARY KEY,
        tokens_total       bigint      NOT NULL DEFAULT 0,
        messages_counted   bigint      NOT NULL DEFAULT 0,
        adjustments_count  bigint      NOT NULL DEFAULT 0,
        adjustments_total  bigint      NOT NULL DEFAULT 0,
        events_count       bigint      NOT NULL DEFAULT 0,
        prompt_tokens      bigint      NOT NULL DEFAULT 0,
        completion_tokens  bigint      NOT NULL DEFAULT 0,
        cached_tokens      bigint      NOT NULL DEFAULT 0,
        reasoning_tokens   bigint      NOT NULL DEFAULT 0,
        total_tokens       bigint      NOT NULL DEFAULT 0,
        first_activity_at  timestamptz,
        last_activity_at   timestamptz,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);

    // chat-gateway reads these through ledger.conversation_tokens_view (the contract), never this table.
    await q.query(`
      CREATE TABLE ledger.conversation_totals (
        conversation_id    uuid        PRIMARY KEY,
        user_id            varchar(64) NOT NULL,
        tokens_total       bigint      NOT NULL DEFAULT 0,
        messages_counted   bigint      NOT NULL DEFAULT 0,
        adjustments_count  bigint      NOT NULL DEFAULT 0,
        adjustments_total  bigint      NOT NULL DEFAULT 0,
        events_count       bigint      NOT NULL DEFAULT 0,
        prompt_tokens      bigint      NOT NULL DEFAULT 0,
        completion_tokens  bigint      NOT NULL DEFAULT 0,
        cached_tokens      bigint      NOT NULL DEFAULT 0,
        reasoning_tokens   bigint      NOT NULL DEFAULT 0,
        total_tokens       bigint      NOT NULL DEFAULT 0,
        first_activity_at  timestamptz,
        last_activity_at   timestamptz,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);
    // usage/sessions: a user's conversations, most recently active first.
    await q.query(`
      CREATE INDEX conversation_totals_user_activity_idx
        ON ledger.conversation_totals (user_id, last_activity_at DESC, conversation_id)`);

    // chat-gateway reads these through ledger.message_tokens_view (the contract), never this table.
    await q.query(`
      CREATE TABLE ledger.message_totals (
        message_id         uuid        PRIMARY KEY,
        -- null until an event naming the conversation arrives (an adjustment may name only the message)
        conversation_id    uuid,
        user_id            varchar(64) NOT NULL,
        tokens_total       bigint      NOT NULL DEFAULT 0,
        adjustments_count  bigint      NOT NULL DEFAULT 0,
        adjustments_total  bigint      NOT NULL DEFAULT 0,
        events_count       bigint      NOT NULL DEFAULT 0,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);

    // The rollup. One row per (user, hour, conversation, model, reason): per-user time ranges are an index
    // range scan, and summaries by model, reason, conversation or day never touch the journal except for
    // partial hours at the edges of a range. NULLS NOT DISTINCT (PostgreSQL 15+) makes "no conversation"
    // and "no model" one key each, so ON CONFLICT folds them.
    await q.query(`
      CREATE TABLE ledger.usage_hourly (
        bucket             timestamptz  NOT NULL CHECK (date_trunc('hour', bucket, 'UTC') = bucket),
        user_id            varchar(64)  NOT NULL,
        conversation_id    uuid,
        model              varchar(100),
        reason             varchar(64)  NOT NULL,
        events_count       bigint       NOT NULL DEFAULT 0,
        messages_counted   bigint       NOT NULL DEFAULT 0,
        adjustments_count  bigint       NOT NULL DEFAULT 0,
        tokens_delta       bigint       NOT NULL DEFAULT 0,
        prompt_tokens      bigint       NOT NULL DEFAULT 0,
        completion_tokens  bigint       NOT NULL DEFAULT 0,
        cached_tokens      bigint       NOT NULL DEFAULT 0,
        reasoning_tokens   bigint       NOT NULL DEFAULT 0,
        total_tokens       bigint       NOT NULL DEFAULT 0,
        updated_at         timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT usage_hourly_key UNIQUE NULLS NOT DISTINCT (user_id, bucket, conversation_id, model, reason)
      )`);
    await q.query(`CREATE INDEX usage_hourly_bucket_idx ON ledger.usage_hourly (bucket)`);
    await q.query(`CREATE INDEX usage_hourly_conversation_idx ON ledger.usage_hourly (conversation_id) WHERE conversation_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE ledger.dead_letters (
        id              bigserial    PRIMARY KEY,
        topic           varchar(249) NOT NULL,
        partition       integer      NOT NULL,
        "offset"        bigint       NOT NULL,
        key             bytea,
        value           bytea,
        -- [{"key": …, "value": …}], each a string when it is clean UTF-8, else {"base64": "…"}
        headers         jsonb        NOT NULL DEFAULT '[]'::jsonb,
        reason          varchar(32)  NOT NULL,
        error           text         NOT NULL,
        event_id        uuid,
        event_type      varchar(100),
        kafka_timestamp timestamptz,
        received_at     timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT dead_letters_position_key UNIQUE (topic, partition, "offset")
      )`);
    await q.query(`CREATE INDEX dead_letters_received_at_idx ON ledger.dead_letters (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger.dead_letters`);
    await q.query(`DROP TABLE ledger.usage_hourly`);
    await q.query(`DROP TABLE ledger.message_totals`);
    await q.query(`DROP TABLE ledger.conversation_totals`);
    await q.query(`DROP TABLE ledger.user_totals`);
    await q.query(`DROP TABLE ledger.entries`);
    // The migrations table (ledger_migrations) lives in the public schema; ledger is empty now.
    await q.query(`DROP SCHEMA IF EXISTS ledger`);
  }
}
