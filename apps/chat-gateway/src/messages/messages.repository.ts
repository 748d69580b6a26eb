import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { MessageRole, TokenUsageV2 } from '@chat-ledger/contracts';
import { rfc3339 } from '@chat-ledger/database';

/** What a message says, as the use case takes it from the request (its columns role … operation). */
export interface MessageContent {
  role: MessageRole;
  content: string;
  model: string | null;
  usage: TokenUsageV2;
  channel: string | null;
  operation: string | null;
}

export interface NewMessage extends MessageContent {
  id: string;
  conversationId: string;
  userId: string;
  createdAt: string;
}

/** The values of the columns role, content, model, the six token counts, channel and operation, in that order. */
export function messageContentValues(m: MessageContent): unknown[] {
  const u = m.usage;
  return [
    m.role,
    m.content,
    m.model,
    u.prompt_tokens,
    u.completion_tokens,
    u.cached_tokens,
    u.cache_write_tokens,
    u.reasoning_tokens,
    u.total_tokens,
    m.channel,
    m.operation,
  ];
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  user_id: string;
  role: MessageRole;
  content: string;
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  channel: string | null;
  operation: string | null;
  created_at: string;
}

@Injectable()
export class MessagesRepository {
  async insert(manager: EntityManager, m: NewMessage): Promise<void> {
    await manager.query(
      `INSERT INTO chat.messages (id, conversation_id, user_id, role, content, model,
         prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, total_tokens, channel, operation, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [m.id, m.conversationId, m.userId, ...messageContentValues(m), m.createdAt],
    );
  }

  /** The user's message, with its conversation's project (what an adjustment of it counts in). */
  async findOwned(manager: EntityManager, userId: string, id: string): Promise<{ id: string; conversation_id: string; project_id: string | null } | undefined> {
    const [row] = await manager.query(
      `SELECT m.id, m.conversation_id, c.project_id FROM chat.messages m JOIN chat.conversations c ON c.id = m.conversation_id WHERE m.id = $1 AND m.user_id = $2`,
      [id, userId],
    );
    return row;
  }

  /** Oldest first; keyset pagination on (created_at, id) so pages stay stable while messages are added. */
  async history(manager: EntityManager, conversationId: string, after: { createdAt: string; id: string } | undefined, limit: number): Promise<MessageRow[]> {
    return manager.query(
      `SELECT id, conversation_id, user_id, role, content, model, prompt_tokens, completion_tokens, cached_tokens,
              cache_write_tokens, reasoning_tokens, total_tokens, channel, operation, ${rfc3339('created_at')} AS created_at
         FROM chat.messages
        WHERE conversation_id = $1
          AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
        ORDER BY created_at, id
        LIMIT $4`,
      [conversationId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
  }
}
