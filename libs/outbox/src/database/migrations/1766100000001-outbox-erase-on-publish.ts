import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rows that must not outlive their publication: an erased user's rows still waiting for the relay, and the
 * user.erased event itself. The relay deletes them in the statement that would mark them published, so no
 * published copy (kept for OUTBOX_RETENTION as the replay source) holds the user id.
 */
export class OutboxEraseOnPublish1766100000001 implements MigrationInterface {
  name = 'OutboxEraseOnPublish1766100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox.events ADD COLUMN erase_on_publish boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox.events DROP COLUMN erase_on_publish`);
  }
}
