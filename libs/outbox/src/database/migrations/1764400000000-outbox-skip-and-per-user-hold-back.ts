import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead and retrying rows hold back only the later rows of their own user (partition key), not of their
 * whole shard; operators may skip a dead row (audited), which releases those rows.
 */
export class OutboxSkipAndPerUserHoldBack1764400000000 implements MigrationInterface {
  name = 'OutboxSkipAndPerUserHoldBack1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // (outbox_status_check: the name the constraint kept in a table moved over from chat.outbox.)
    await q.query(`ALTER TABLE outbox.events DROP CONSTRAINT IF EXISTS events_status_check, DROP CONSTRAINT IF EXISTS outbox_status_check`);
    await q.query(`ALTER TABLE outbox.events ADD CONSTRAINT events_status_check CHECK (status IN ('pending', 'published', 'dead', 'skipped'))`);
    // The claim finds the first blocked row of each user of the held shards (dead, or waiting for a retry).
    await q.query(`DROP INDEX IF EXISTS outbox.outbox_retrying_idx`);
    await q.query(`
      CREATE INDEX outbox_blocked_idx ON outbox.events (shard, partition_key, id)
        WHERE status = 'dead' OR (status = 'pending' AND attempts > 0)`);
    await q.query(`
      CREATE TABLE outbox.skips (
        id          uuid         PRIMARY KEY,
        outbox_id   bigint       NOT NULL,
        event_id    uuid         NOT NULL,
        actor       varchar(200) NOT NULL,
        reason      varchar(500) NOT NULL,
        created_at  timestamptz  NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX outbox_skips_created_at_idx ON outbox.skips (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox.skips`);
    await q.query(`DROP INDEX outbox.outbox_blocked_idx`);
    await q.query(`CREATE INDEX outbox_retrying_idx ON outbox.events (shard, id) WHERE status = 'pending' AND attempts > 0`);
    await q.query(`UPDATE outbox.events SET status = 'dead' WHERE status = 'skipped'`);
    await q.query(`ALTER TABLE outbox.events DROP CONSTRAINT events_status_check`);
    await q.query(`ALTER TABLE outbox.events ADD CONSTRAINT events_status_check CHECK (status IN ('pending', 'published', 'dead'))`);
  }
}
