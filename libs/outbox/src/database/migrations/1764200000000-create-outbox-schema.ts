import { MigrationInterface, QueryRunner } from 'typeorm';
import { SHARD_COUNT } from '../../outbox-schema';

/**
 * The transactional outbox's own schema: the events to publish, the replay audit, the wake-up trigger and
 * the shard function. Databases created while the outbox still lived in the chat schema (chat.outbox,
 * chat.outbox_replays) have those tables moved here, rows and indexes included, so nothing is lost.
 */
export class CreateOutboxSchema1764200000000 implements MigrationInterface {
  name = 'CreateOutboxSchema1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS outbox`);
    // `shard` spreads users over SHARD_COUNT relay shards: every row of one user (partition key) lands in
    // one shard, and a shard is published by one relay at a time (per-user order).
    await q.query(`
      CREATE FUNCTION outbox.shard_of(partition_key text) RETURNS smallint
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN (hashtextextended(partition_key, 0) & ${SHARD_COUNT - 1})::smallint`);

    const [{ legacy }] = await q.query(`SELECT to_regclass('chat.outbox') IS NOT NULL AS legacy`);
    if (legacy) {
      await q.query(`DROP TRIGGER IF EXISTS outbox_notify ON chat.outbox`);
      await q.query(`DROP FUNCTION IF EXISTS chat.outbox_notify()`);
      await q.query(`ALTER TABLE chat.outbox SET SCHEMA outbox`);
      await q.query(`ALTER TABLE outbox.outbox RENAME TO events`);
      await q.query(`ALTER SEQUENCE IF EXISTS outbox.outbox_id_seq RENAME TO events_id_seq`);
      await q.query(`ALTER TABLE chat.outbox_replays SET SCHEMA outbox`);
      await q.query(`ALTER TABLE outbox.outbox_replays RENAME TO replays`);
    } else {
      // The status check is named as PostgreSQL would name it for `outbox.events` (so databases created before the
      // name was written here have the same one): a later migration replaces it by that name, also where the
      // deployment chose another OUTBOX_TABLE, whose generated name would differ.
      await q.query(`
        CREATE TABLE outbox.events (
          id              bigserial    PRIMARY KEY,
          event_id        uuid         NOT NULL UNIQUE,
          event_type      varchar(100) NOT NULL,
          partition_key   varchar(64)  NOT NULL,
          shard           smallint     NOT NULL GENERATED ALWAYS AS (outbox.shard_of(partition_key)) STORED,
          payload         jsonb        NOT NULL,
          headers         jsonb        NOT NULL DEFAULT '{}'::jsonb,
          status          varchar(16)  NOT NULL DEFAULT 'pending' CONSTRAINT events_status_check CHECK (status IN ('pending', 'published', 'dead')),
          attempts        integer      NOT NULL DEFAULT 0,
          next_attempt_at timestamptz  NOT NULL DEFAULT now(),
          last_error      text,
          created_at      timestamptz  NOT NULL DEFAULT now(),
          published_at    timestamptz
        )`);
      await q.query(`CREATE INDEX outbox_pending_idx ON outbox.events (shard, id) WHERE status = 'pending'`);
      await q.query(`CREATE INDEX outbox_dead_idx ON outbox.events (shard, id) WHERE status = 'dead'`);
      await q.query(`CREATE INDEX outbox_published_at_idx ON outbox.events (published_at) WHERE status = 'published'`);
      await q.query(`CREATE INDEX outbox_created_at_idx ON outbox.events (created_at)`);
      // The relay claims pending rows of its shards in id order; walking this index stops after one batch
      // instead of sorting every pending row of the held shards.
      await q.query(`CREATE INDEX outbox_pending_id_idx ON outbox.events (id) WHERE status = 'pending'`);
      // Rows waiting for a retry hold back later rows; finding the first one must not scan the backlog.
      await q.query(`CREATE INDEX outbox_retrying_idx ON outbox.events (shard, id) WHERE status = 'pending' AND attempts > 0`);
      // Operators filter by user (list, replay).
      await q.query(`CREATE INDEX outbox_partition_key_idx ON outbox.events (partition_key, id)`);
      // Who replayed what, and when (POST /v1/admin/outbox/replay, `npm run cli -- outbox:replay`).
      await q.query(`
        CREATE TABLE outbox.replays (
          id          uuid         PRIMARY KEY,
          actor       varchar(200) NOT NULL,
          filter      jsonb        NOT NULL,
          matched     integer      NOT NULL CHECK (matched >= 0),
          created_at  timestamptz  NOT NULL DEFAULT clock_timestamp()
        )`);
      await q.query(`CREATE INDEX outbox_replays_created_at_idx ON outbox.replays (created_at)`);
    }
    // NOTIFY is delivered at commit and folded per transaction, so relays wake exactly when rows become visible.
    await q.query(`
      CREATE FUNCTION outbox.notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_events', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox.events FOR EACH STATEMENT EXECUTE FUNCTION outbox.notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_notify ON outbox.events`);
    await q.query(`DROP FUNCTION outbox.notify()`);
    await q.query(`DROP TABLE outbox.replays`);
    await q.query(`DROP TABLE outbox.events`);
    await q.query(`DROP FUNCTION outbox.shard_of(text)`);
    await q.query(`DROP SCHEMA IF EXISTS outbox`);
  }
}
