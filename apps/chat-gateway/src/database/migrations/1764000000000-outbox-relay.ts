import { MigrationInterface, QueryRunner } from 'typeorm';

/** What the outbox relay and its operators need on top of chat.outbox (issue 3). */
export class OutboxRelay1764000000000 implements MigrationInterface {
  name = 'OutboxRelay1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // The relay claims pending rows of its shards in id order; walking this index stops after one batch
    // instead of sorting every pending row of the held shards.
    await q.query(`CREATE INDEX outbox_pending_id_idx ON chat.outbox (id) WHERE status = 'pending'`);
    // Rows waiting for a retry hold back later rows of their shard; finding the first one per shard
    // must not scan the whole backlog.
    await q.query(`CREATE INDEX outbox_retrying_idx ON chat.outbox (shard, id) WHERE status = 'pending' AND attempts > 0`);
    // Operators filter by user (list, replay).
    await q.query(`CREATE INDEX outbox_partition_key_idx ON chat.outbox (partition_key, id)`);
    // Who replayed what, and when (POST /v1/admin/outbox/replay, `npm run cli -- outbox:replay`).
    await q.query(`
      CREATE TABLE chat.outbox_replays (
        id          uuid         PRIMARY KEY,
        actor       varchar(200) NOT NULL,
        filter      jsonb        NOT NULL,
        matched     integer      NOT NULL CHECK (matched >= 0),
        created_at  timestamptz  NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX outbox_replays_created_at_idx ON chat.outbox_replays (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat.outbox_replays`);
    await q.query(`DROP INDEX chat.outbox_partition_key_idx`);
    await q.query(`DROP INDEX chat.outbox_retrying_idx`);
    await q.query(`DROP INDEX chat.outbox_pending_id_idx`);
  }
}
