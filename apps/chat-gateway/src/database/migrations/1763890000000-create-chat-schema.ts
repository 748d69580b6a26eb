import { MigrationInterface, QueryRunner } from 'typeorm';

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

    // The transactional outbox. `shard` spreads users over a fixed number of relay shards: every row
    // of one user (partition_key) lands in one shard, and a shard is published by one relay at a time.
    await q.query(`
      CREATE TABLE chat.outbox (
        id              bigserial    PRIMARY KEY,
        event_id        uuid         NOT NULL UNIQUE,
        event_type      varchar(100) NOT NULL,
        partition_key   varchar(64)  NOT NULL,
        shard           smallint     NOT NULL GENERATED ALWAYS AS ((hashtextextended(partition_key, 0) & 63)::smallint) STORED,
        payload         jsonb        NOT NULL,
        headers         jsonb        NOT NULL DEFAULT '{}'::jsonb,
        status          varchar(16)  NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'dead')),
        attempts        integer      NOT NULL DEFAULT 0,
        next_attempt_at timestamptz  NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        published_at    timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending_idx ON chat.outbox (shard, id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX outbox_dead_idx ON chat.outbox (shard, id) WHERE status = 'dead'`);
    await q.query(`CREATE INDEX outbox_published_at_idx ON chat.outbox (published_at) WHERE status = 'published'`);
    await q.query(`CREATE INDEX outbox_created_at_idx ON chat.outbox (created_at)`);
    // NOTIFY is delivered at commit and folded per transaction, so relays wake exactly when rows become visible.
    await q.query(`
      CREATE FUNCTION chat.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('chat_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON chat.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION chat.outbox_notify()`);

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
    await q.query(`DROP TRIGGER outbox_notify ON chat.outbox`);
    await q.query(`DROP FUNCTION chat.outbox_notify()`);
    await q.query(`DROP TABLE chat.outbox`);
    await q.query(`DROP TABLE chat.messages`);
    await q.query(`DROP TABLE chat.conversations`);
    await q.query(`DROP SCHEMA IF EXISTS chat`);
  }
}
