import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-user sequence numbers: the writer numbers each user's events 1, 2, 3, … in the same statement that
 * appends them (under the same per-user serialisation as their ids), and the number travels in the
 * envelope (`user_seq`) and a Kafka header (`user-seq`), so a consumer can tell a missing event from none.
 */
export class OutboxUserSequences1764600000000 implements MigrationInterface {
  name = 'OutboxUserSequences1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox.user_sequences (
        partition_key varchar(64) PRIMARY KEY,
        last_seq      bigint      NOT NULL
      )`);
    // Rows written before numbering started keep null; numbering starts after the highest one per user (none).
    await q.query(`ALTER TABLE outbox.events ADD COLUMN user_seq bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox.events DROP COLUMN user_seq`);
    await q.query(`DROP TABLE outbox.user_sequences`);
  }
}
