import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * Read-only view of the ledger's balances (the ledger-consumer owns and writes them). Until the
 * ledger has applied an event for a conversation or message, its total is 0: the gateway shows what
 * the ledger has counted, never its own guess.
 */
@Injectable()
export class LedgerTotalsRepository {
  private ledgerPresentUntil = 0;
  private ledgerPresent = false;

  /** The ledger schema may be migrated after the gateway started (or live in another database). */
  private async hasLedger(manager: EntityManager): Promise<boolean> {
    if (this.ledgerPresent || Date.now() < this.ledgerPresentUntil) return this.ledgerPresent;
    const [row] = await manager.query(
      `SELECT to_regclass('ledger.conversation_totals') IS NOT NULL AND to_regclass('ledger.message_totals') IS NOT NULL AS present`,
    );
    this.ledgerPresent = row.present === true;
    this.ledgerPresentUntil = Date.now() + 5_000;
    return this.ledgerPresent;
  }

  async conversationTotals(manager: EntityManager, conversationIds: string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0 || !(await this.hasLedger(manager))) return new Map();
    const rows: Array<{ id: string; total: string }> = await manager.query(
      `SELECT conversation_id AS id, tokens_total::text AS total FROM ledger.conversation_totals WHERE conversation_id = ANY($1::uuid[])`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.id, Number(r.total)]));
  }

  async messageTotals(manager: EntityManager, messageIds: string[]): Promise<Map<string, number>> {
    if (messageIds.length === 0 || !(await this.hasLedger(manager))) return new Map();
    const rows: Array<{ id: string; total: string }> = await manager.query(
      `SELECT message_id AS id, tokens_total::text AS total FROM ledger.message_totals WHERE message_id = ANY($1::uuid[])`,
      [messageIds],
    );
    return new Map(rows.map((r) => [r.id, Number(r.total)]));
  }
}
