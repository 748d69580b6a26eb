import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import type { ConversationSort } from './dto/list-conversations.query.dto';

export type ConversationStatus = 'active' | 'archived' | 'deleted';

export interface ConversationRow {
  id: string;
  user_id: string;
  title: string | null;
  model: string | null;
  system_prompt: string | null;
  status: ConversationStatus;
  /** The conversation's tenant: its messages count in this organisation and project (null: none). */
  org_id: string | null;
  project_id: string | null;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, user_id, title, model, system_prompt, status, org_id, project_id, message_count,
  ${rfc3339('last_message_at')} AS last_message_at, ${rfc3339('created_at')} AS created_at, ${rfc3339('updated_at')} AS updated_at`;

@Injectable()
export class ConversationsRepository {
  async insert(
    manager: EntityManager,
    row: {
      id: string;
      userId: string;
      title?: string | null;
      model?: string | null;
      systemPrompt?: string | null;
      orgId: string | null;
      projectId: string | null;
    },
  ): Promise<ConversationRow> {
    const [created] = await manager.query(
      `INSERT INTO chat.conversations (id, user_id, title, model, system_prompt, org_id, project_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [row.id, row.userId, row.title ?? null, row.model ?? null, row.systemPrompt ?? null, row.orgId, row.projectId],
    );
    return created;
  }

  /** A deleted conversation is gone for its owner; another user's conversation does not exist for them. */
  async findVisible(manager: EntityManager, userId: string, id: string): Promise<ConversationRow | undefined> {
    const [row] = await manager.query(`SELECT ${COLUMNS} FROM chat.conversations WHERE id = $1 AND user_id = $2 AND status <> 'deleted'`, [id, userId]);
    return row;
  }

  /**
   * One page, newest first by activity or by creation. `after` is a keyset position (the last row's sort
   * time and id) and replaces the offset. The sort time is returned as `sort_at` for the next cursor.
   */
  async page(
    manager: EntityManager,
    userId: string,
    status: 'active' | 'archived',
    sort: ConversationSort,
    limit: number,
    position: { offset: number } | { after: { at: string; id: string } },
  ): Promise<{ rows: Array<ConversationRow & { sort_at: string }>; total: number }> {
    const sortAt = sort === 'created' ? 'created_at' : 'COALESCE(last_message_at, created_at)';
    const keyset = 'after' in position ? `AND (${sortAt}, id) < ($5::timestamptz, $6::uuid)` : '';
    const params = 'after' in position ? [userId, status, limit, 0, position.after.at, position.after.id] : [userId, status, limit, position.offset];
    const [rows, [{ total }]] = await Promise.all([
      manager.query(
        `SELECT ${COLUMNS}, ${rfc3339(sortAt)} AS sort_at FROM chat.conversations
          WHERE user_id = $1 AND status = $2 ${keyset}
          ORDER BY ${sortAt} DESC, id DESC
          LIMIT $3 OFFSET $4`,
        params,
      ),
      manager.query(`SELECT count(*)::int AS total FROM chat.conversations WHERE user_id = $1 AND status = $2`, [userId, status]),
    ]);
    return { rows, total };
  }

  async update(
    manager: EntityManager,
    userId: string,
    id: string,
    changes: { title?: string | null; status?: 'active' | 'archived' },
  ): Promise<ConversationRow | undefined> {
    const [rows] = await manager.query(
      `UPDATE chat.conversations
          SET title = CASE WHEN $3 THEN $4 ELSE title END,
              status = COALESCE($5, status),
              updated_at = clock_timestamp()
        WHERE id = $1 AND user_id = $2 AND status <> 'deleted'
        RETURNING ${COLUMNS}`,
      [id, userId, changes.title !== undefined, changes.title ?? null, changes.status ?? null],
    );
    return rows[0];
  }

  async softDelete(manager: EntityManager, userId: string, id: string): Promise<boolean> {
    const [, affected] = await manager.query(
      `UPDATE chat.conversations SET status = 'deleted', deleted_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1 AND user_id = $2 AND status <> 'deleted'`,
      [id, userId],
    );
    return affected > 0;
  }

  /**
   * Removes conversations for good (their messages and budget reservations with them; usage records naming
   * them keep their usage, not the link), in the caller's transaction. With `userId`, only that user's (and
   * only those: a purge of someone else's id is a not-found). Returns how many conversations went.
   */
  async purge(manager: EntityManager, ids: string[], userId?: string): Promise<number> {
    const owned: Array<{ id: string }> = await manager.query(
      `SELECT id::text FROM chat.conversations WHERE id = ANY($1::uuid[]) AND ($2::text IS NULL OR user_id = $2) ORDER BY id FOR UPDATE`,
      [ids, userId ?? null],
    );
    if (owned.length === 0) return 0;
    const keep = owned.map((r) => r.id);
    await manager.query(`DELETE FROM chat.messages WHERE conversation_id = ANY($1::uuid[])`, [keep]);
    await manager.query(`DELETE FROM chat.budget_reservations WHERE conversation_id = ANY($1::uuid[])`, [keep]);
    await manager.query(`UPDATE chat.usage_records SET conversation_id = NULL WHERE conversation_id = ANY($1::uuid[])`, [keep]);
    await manager.query(`DELETE FROM chat.conversations WHERE id = ANY($1::uuid[])`, [keep]);
    return keep.length;
  }

  /**
   * Counts a new message and returns its timestamp and the conversation's tenant (which the message inherits).
   * The row lock taken here serialises writers of one conversation, so message timestamps (clock_timestamp()
   * after the lock) follow commit order.
   */
  async recordActivity(
    manager: EntityManager,
    userId: string,
    id: string,
  ): Promise<{ last_message_at: string; org_id: string | null; project_id: string | null } | undefined> {
    const [rows] = await manager.query(
      `UPDATE chat.conversations
          SET message_count = message_count + 1, last_message_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1 AND user_id = $2 AND status <> 'deleted'
        RETURNING ${rfc3339('last_message_at')} AS last_message_at, org_id, project_id`,
      [id, userId],
    );
    return rows[0];
  }
}
