import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data lifecycle (docs/data-lifecycle.md):
 * - chat.erasures: the audit of user erasures (POST /v1/admin/users/:user_id/erase): who erased, when, and how
 *   much went, under a random erasure id handed to the caller. It never names the erased user: the requester
 *   keeps the link between erasure id and user in their own records (the DPO's ticket), the service does not.
 * - indexes for the retention sweeps: message content by age (MESSAGE_RETENTION), soft-deleted conversations by
 *   deletion time (DELETED_CONVERSATION_RETENTION).
 */
export class ErasuresAndRetention1766100000002 implements MigrationInterface {
  name = 'ErasuresAndRetention1766100000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat.erasures (
        id           uuid        PRIMARY KEY,
        actor        varchar(64) NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        -- the user.erased event written for it (the ledger reports it done under the erasure id)
        event_id     uuid        NOT NULL,
        -- what was removed, per kind (conversations, messages, …, outbox rows)
        removed      jsonb       NOT NULL
      )`);
    await q.query(`CREATE INDEX erasures_requested_at_idx ON chat.erasures (requested_at)`);
    await q.query(`CREATE INDEX messages_content_created_idx ON chat.messages (created_at) WHERE content <> ''`);
    await q.query(`CREATE INDEX conversations_deleted_at_idx ON chat.conversations (deleted_at) WHERE status = 'deleted'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX chat.conversations_deleted_at_idx`);
    await q.query(`DROP INDEX chat.messages_content_created_idx`);
    await q.query(`DROP TABLE chat.erasures`);
  }
}
