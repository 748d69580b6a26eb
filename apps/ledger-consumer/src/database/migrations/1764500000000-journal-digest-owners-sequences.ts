import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Integrity the journal could not check before:
 * - payload_digest: a second copy of an event id with another payload is a conflict (dead letter), not a
 *   duplicate to skip silently; rows from before this migration have none and are compared with nothing.
 * - conversation_owners: the first event that names a conversation fixes its owner; an event naming it
 *   under another user is refused. Backfilled from the totals the ledger already has.
 * - user_seq, user_sequences, sequence_anomalies: the per-user sequence number the gateway assigns, the
 *   last one applied per user, and every gap or reorder seen, so a missing event is visible end to end.
 */
export class JournalDigestOwnersSequences1764500000000 implements MigrationInterface {
  name = 'JournalDigestOwnersSequences1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger.entries ADD COLUMN payload_digest bytea, ADD COLUMN user_seq bigint CHECK (user_seq > 0)`);
    await q.query(`
      CREATE TABLE ledger.conversation_owners (
        conversation_id uuid        PRIMARY KEY,
        user_id         varchar(64) NOT NULL,
        -- null for owners backfilled from totals that existed before owners were recorded
        first_event_id  uuid,
        fixed_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO ledger.conversation_owners (conversation_id, user_id) SELECT conversation_id, user_id FROM ledger.conversation_totals`);
    await q.query(`
      CREATE TABLE ledger.user_sequences (
        user_id    varchar(64) PRIMARY KEY,
        last_seq   bigint      NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger.sequence_anomalies (
        id              bigserial    PRIMARY KEY,
        user_id         varchar(64)  NOT NULL,
        -- gap: events before this one are missing (not arrived yet, or lost); reorder: it came after a later one
        kind            varchar(16)  NOT NULL CHECK (kind IN ('gap', 'reorder')),
        expected_seq    bigint       NOT NULL,
        seen_seq        bigint       NOT NULL,
        event_id        uuid         NOT NULL,
        kafka_topic     varchar(249) NOT NULL,
        kafka_partition integer      NOT NULL,
        kafka_offset    bigint       NOT NULL,
        detected_at     timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sequence_anomalies_user_idx ON ledger.sequence_anomalies (user_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger.sequence_anomalies`);
    await q.query(`DROP TABLE ledger.user_sequences`);
    await q.query(`DROP TABLE ledger.conversation_owners`);
    await q.query(`ALTER TABLE ledger.entries DROP COLUMN user_seq, DROP COLUMN payload_digest`);
  }
}
