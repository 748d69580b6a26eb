import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { pgErrorCode } from '@chat-ledger/database';
import { LedgerPresence } from './ledger-presence';

/**
 * The ledger's balances as the ledger-consumer offers them to the gateway: the views
 * ledger.conversation_tokens_view and ledger.message_tokens_view, which the ledger owns and migrates (its
 * tables behind them are its own business). Until the ledger has applied an event for a conversation or
 * message, its total is 0: the gateway shows what the ledger has counted, never its own guess.
 */
@Injectable()
export class LedgerTotalsRepository {
  private readonly ledger = new LedgerPresence(
    `to_regclass('ledger.conversation_tokens_view') IS NOT NULL AND to_regclass('ledger.message_tokens_view') IS NOT NULL`,
  );

  conversationTotals(manager: EntityManager, conversationIds: string[]): Promise<Map<string, number>> {
    return this.totals(
      manager,
      `SELECT conversation_id AS id, tokens_total::text AS total FROM ledger.conversation_tokens_view WHERE conversation_id = ANY($1::uuid[])`,
      conversationIds,
    );
  }

  messageTotals(manager: EntityManager, messageIds: string[]): Promise<Map<string, number>> {
    return this.totals(
      manager,
      `SELECT message_id AS id, tokens_total::text AS total FROM ledger.message_tokens_view WHERE message_id = ANY($1::uuid[])`,
      messageIds,
    );
  }

  private async totals(manager: EntityManager, sql: string, ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0 || !(await this.ledger.has(manager))) return new Map();
    try {
      const rows: Array<{ id: string; total: string }> = await manager.query(sql, [ids]);
      return new Map(rows.map((r) => [r.id, Number(r.total)]));
    } catch (error) {
      if (pgErrorCode(error) !== '42P01') throw error;
      // The ledger schema was dropped (a rebuild): show nothing counted until it is back.
      this.ledger.forget();
      return new Map();
    }
  }
}
