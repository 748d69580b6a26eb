import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The DLQ topic holds best-effort copies of the dead letters: `dlq_published_at` says which copies made it,
 * so the ones that did not (topic down, record too large for it) can be published later by the redrive.
 */
export class DeadLettersDlqPublishedAt1764100000000 implements MigrationInterface {
  name = 'DeadLettersDlqPublishedAt1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger.dead_letters ADD COLUMN dlq_published_at timestamptz`);
    // The redrive walks the unpublished ones in id order.
    await q.query(`CREATE INDEX dead_letters_dlq_unpublished_idx ON ledger.dead_letters (id) WHERE dlq_published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ledger.dead_letters_dlq_unpublished_idx`);
    await q.query(`ALTER TABLE ledger.dead_letters DROP COLUMN dlq_published_at`);
  }
}
