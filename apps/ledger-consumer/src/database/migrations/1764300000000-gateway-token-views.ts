import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger's tables are its own; what chat-gateway may read of them is this contract, two views with
 * stable names and columns. The tables behind them can change (columns added, split, renamed) as long as
 * these views keep answering the same way.
 */
export class GatewayTokenViews1764300000000 implements MigrationInterface {
  name = 'GatewayTokenViews1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE VIEW ledger.conversation_tokens_view AS
        SELECT conversation_id, user_id, tokens_total FROM ledger.conversation_totals`);
    await q.query(`
      CREATE VIEW ledger.message_tokens_view AS
        SELECT message_id, conversation_id, user_id, tokens_total FROM ledger.message_totals`);
    await q.query(`COMMENT ON VIEW ledger.conversation_tokens_view IS 'Read by chat-gateway (conversation meta and lists); owned by ledger-consumer.'`);
    await q.query(`COMMENT ON VIEW ledger.message_tokens_view IS 'Read by chat-gateway (message history); owned by ledger-consumer.'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW ledger.message_tokens_view`);
    await q.query(`DROP VIEW ledger.conversation_tokens_view`);
  }
}
