import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two fewer b-trees to maintain on the outbox's hot path. Every message insert writes an entry into each index, and
 * marking a row published (a new row version, never a HOT update, since status and published_at are indexed) writes
 * one into every index whose predicate the published row matches:
 * - `outbox_pending_idx (shard, id) WHERE pending` served no query: the relay's claim walks `outbox_pending_id_idx`
 *   in id order (a (shard, id) index cannot give that order across several shards without sorting the backlog), and
 *   the counts read that one too.
 * - `created_at` is only filtered on by operators (list and replay by time range), and rows are appended in
 *   created_at order, so a BRIN index (a few pages per million rows, updated only when a block range's bounds change)
 *   narrows those scans to the matching block ranges.
 * Measured on a 60,000-row outbox: the mark of a 500-row batch 19.1 → 16.2 ms (median of five rounds of 20 marks)
 * without the created_at b-tree.
 */
export class OutboxLeanerIndexes1766300000000 implements MigrationInterface {
  name = 'OutboxLeanerIndexes1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox.outbox_pending_idx`);
    await q.query(`DROP INDEX IF EXISTS outbox.outbox_created_at_idx`);
    await q.query(`CREATE INDEX outbox_created_at_idx ON outbox.events USING brin (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox.outbox_created_at_idx`);
    await q.query(`CREATE INDEX outbox_created_at_idx ON outbox.events (created_at)`);
    await q.query(`CREATE INDEX outbox_pending_idx ON outbox.events (shard, id) WHERE status = 'pending'`);
  }
}
