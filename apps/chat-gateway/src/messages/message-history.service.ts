import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { conversationNotFound } from '../conversations/conversations.service';
import { LedgerTotalsRepository } from '../ledger-totals/ledger-totals.repository';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessagePage } from './dto/message.response';
import { decodeHistoryCursor, encodeHistoryCursor } from './history-cursor';
import { MessagesRepository } from './messages.repository';

@Injectable()
export class MessageHistoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly ledgerTotals: LedgerTotalsRepository,
  ) {}

  async list(userId: string, conversationId: string, query: ListMessagesQueryDto): Promise<MessagePage> {
    const after = query.cursor ? decodeHistoryCursor(query.cursor) : undefined;
    const manager = this.dataSource.manager;
    if (!(await this.conversations.findVisible(manager, userId, conversationId))) throw conversationNotFound(conversationId);

    // One row more than asked tells whether another page exists without a count query.
    const rows = await this.messages.history(manager, conversationId, after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const totals = await this.ledgerTotals.messageTotals(
      manager,
      page.map((r) => r.id),
    );
    const last = page[page.length - 1];
    return {
      list: page.map((r) => ({
        message_id: r.id,
        conversation_id: r.conversation_id,
        role: r.role,
        content: r.content,
        model: r.model,
        usage: {
          prompt_tokens: r.prompt_tokens,
          completion_tokens: r.completion_tokens,
          cached_tokens: r.cached_tokens,
          cache_write_tokens: r.cache_write_tokens,
          reasoning_tokens: r.reasoning_tokens,
          total_tokens: r.total_tokens,
        },
        channel: r.channel,
        operation: r.operation,
        tokens_consumed: totals.get(r.id) ?? r.total_tokens,
        ledger_applied: totals.has(r.id),
        created_at: r.created_at,
      })),
      next_cursor: rows.length > query.limit && last ? encodeHistoryCursor({ createdAt: last.created_at, id: last.id }) : null,
    };
  }
}
