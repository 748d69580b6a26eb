import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

@Injectable()
export class ChatRetentionRepository {
  /** Empties the content of up to `limit` messages older than `windowMs`; returns how many. */
  async expireMessageContent(manager: EntityManager, windowMs: number, limit: number): Promise<number> {
    const [, affected] = await manager.query(
      `UPDATE chat.messages SET content = ''
        WHERE id IN (SELECT id FROM chat.messages
                      WHERE content <> '' AND created_at < now() - $1::bigint * interval '1 millisecond'
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [windowMs, limit],
    );
    return affected;
  }

  /** Up to `limit` conversations soft-deleted more than `windowMs` ago, locked for the caller's purge. */
  async expiredDeletedConversations(manager: EntityManager, windowMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id::text FROM chat.conversations
        WHERE status = 'deleted' AND deleted_at < now() - $1::bigint * interval '1 millisecond'
        ORDER BY deleted_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [windowMs, limit],
    );
    return rows.map((r) => r.id);
  }
}
