import { MigrationInterface, QueryRunner } from 'typeorm';

/** The conversation list's stable order (sort=created): newest first by creation, keyset-paged. */
export class ConversationsByCreation1764700000000 implements MigrationInterface {
  name = 'ConversationsByCreation1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX conversations_user_created_idx ON chat.conversations (user_id, status, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX chat.conversations_user_created_idx`);
  }
}
