import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cache write tokens beside cached (read) tokens, and where a message's usage came from (channel, operation). */
export class MessagesCacheWriteAndDimensions1764900000000 implements MigrationInterface {
  name = 'MessagesCacheWriteAndDimensions1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE chat.messages
        ADD COLUMN cache_write_tokens integer NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
        ADD COLUMN channel varchar(32),
        ADD COLUMN operation varchar(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chat.messages DROP COLUMN cache_write_tokens, DROP COLUMN channel, DROP COLUMN operation`);
  }
}
