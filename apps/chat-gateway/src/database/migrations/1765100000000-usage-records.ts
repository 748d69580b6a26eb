import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage records other systems report (PUT /v1/usage-records/:source/:external_id): per record its fixed
 * identity (user, conversation, model, channel, operation, set by its first revision) and the latest revision
 * accepted, and every accepted revision with its usage. The gateway decides under the record's row lock, in
 * the transaction that writes the outbox row, whether a revision is new and what it changes; a revision is
 * immutable once accepted.
 */
export class UsageRecords1765100000000 implements MigrationInterface {
  name = 'UsageRecords1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat.usage_records (
        source          varchar(100) NOT NULL,
        external_id     varchar(128) NOT NULL,
        user_id         varchar(64)  NOT NULL,
        conversation_id uuid         REFERENCES chat.conversations (id),
        model           varchar(100),
        channel         varchar(32),
        operation       varchar(64),
        -- the latest accepted revision: what the record counts
        revision        bigint       NOT NULL CHECK (revision > 0),
        created_at      timestamptz  NOT NULL DEFAULT clock_timestamp(),
        updated_at      timestamptz  NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (source, external_id)
      )`);
    await q.query(`
      CREATE TABLE chat.usage_record_revisions (
        source             varchar(100) NOT NULL,
        external_id        varchar(128) NOT NULL,
        revision           bigint       NOT NULL CHECK (revision > 0),
        -- the revision counted before this one (its event's delta is relative to it); null for the first
        previous_revision  bigint       CHECK (previous_revision < revision),
        occurred_at        timestamptz  NOT NULL,
        prompt_tokens      integer      NOT NULL CHECK (prompt_tokens >= 0),
        completion_tokens  integer      NOT NULL CHECK (completion_tokens >= 0),
        cached_tokens      integer      NOT NULL CHECK (cached_tokens >= 0),
        cache_write_tokens integer      NOT NULL CHECK (cache_write_tokens >= 0),
        reasoning_tokens   integer      NOT NULL CHECK (reasoning_tokens >= 0),
        total_tokens       integer      NOT NULL CHECK (total_tokens >= 0),
        -- the ledger.usage.upserted event written for it
        event_id           uuid         NOT NULL UNIQUE,
        received_at        timestamptz  NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (source, external_id, revision),
        FOREIGN KEY (source, external_id) REFERENCES chat.usage_records (source, external_id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat.usage_record_revisions`);
    await q.query(`DROP TABLE chat.usage_records`);
  }
}
