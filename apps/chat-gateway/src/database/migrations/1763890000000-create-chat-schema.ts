import { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway's own data: conversations, messages, idempotency keys. (The outbox has a schema of its own, libs/outbox.) */
export class CreateChatSchema1763890000000 implements MigrationInterface {
  name = 'CreateChatSchema1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS chat`);
    await q.query(`
      CREATE TABLE chat.conversations (
        id              uuid PRIMARY KEY,
        user_id         varchar(64)  NOT NULL,
        title           varchar(200),
        model           varchar(100),
        system_prompt   text,
        status          varchar(16)  NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted')),
        message_count   integer      NOT NULL DEFAULT 0,
        last_message_at timestamptz,
        created_at      timestamptz  NOT NULL DEFAULT clock_timestamp(),
        updated_at      timestamptz  NOT NULL DEFAULT clock_timestamp(),
        deleted_at      timestamptz
      )`);
    // Lists are "newest activity first" per user and status.
    await q.query(`
      CREATE INDEX conversations_user_activity_idx
        ON chat.conversations (user_id, status, (COALESCE(last_message_at, created_at)) DESC, id DESC)`);
    await q.query(`
      CREATE TABLE chat.messages (
        id                uuid PRIMARY KEY,
        conversation_id   uuid        NOT NULL REFERENCES chat.conversations (id),
        user_id           varchar(64) NOT NULL,
        role              varchar(16) NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
        content           text        NOT NULL,
        model             varchar(100),
        prompt_tokens     integer     NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
        completion_tokens integer     NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
        cached_tokens     integer     NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
        reasoning_tokens  integer     NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
        total_tokens      integer     NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
        created_at        timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX messages_history_idx ON chat.messages (conversation_id, created_at, id)`);

    await q.query(`
      CREATE TABLE chat.idempotency_keys (
        user_id         varchar(64)  NOT NULL,
        key             varchar(255) NOT NULL,
        request_hash    char(64)     NOT NULL,
        -- filled in by the same transaction that claimed the key, so no other reader sees them empty
        response_status smallint,
        response_body   jsonb,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_at_idx ON chat.idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat.idempotency_keys`);
    await q.query(`DROP TABLE chat.messages`);
    await q.query(`DROP TABLE chat.conversations`);
    await q.query(`DROP SCHEMA IF EXISTS chat`);
  }
}
