import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { CursorFields, decodeKeysetCursor, DomainError, encodeKeysetCursor, ErrorCode, invalidCursor, Principal } from '@chat-ledger/platform';
import { TenantsService } from '../tenants/tenants.service';
import { LedgerTotalsRepository } from '../ledger-totals/ledger-totals.repository';
import { ConversationRow, ConversationsRepository } from './conversations.repository';
import { ConversationPage, ConversationResponse } from './dto/conversation.response';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { CONVERSATION_SORTS, ConversationSort, ListConversationsQueryDto } from './dto/list-conversations.query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

export function conversationNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.ConversationNotFound, `conversation ${id} not found`, [{ field: 'conversation_id', problem: 'no such conversation' }]);
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly ledgerTotals: LedgerTotalsRepository,
    private readonly tenants: TenantsService,
  ) {}

  /** A new conversation of the user's organisation (bound now if this is its first sight) and project. */
  async create(principal: Principal, dto: CreateConversationDto): Promise<ConversationResponse> {
    const row = await this.dataSource.transaction(async (manager) =>
      this.conversations.insert(manager, {
        id: uuidv7(),
        userId: principal.userId,
        title: dto.title,
        model: dto.model,
        systemPrompt: dto.system_prompt,
        orgId: await this.tenants.orgForWrite(manager, principal, principal.userId),
        projectId: this.tenants.projectFor(principal, dto.project_id),
      }),
    );
    return toResponse(row, 0);
  }

  async get(userId: string, id: string): Promise<ConversationResponse> {
    const manager = this.dataSource.manager;
    const row = await this.conversations.findVisible(manager, userId, id);
    if (!row) throw conversationNotFound(id);
    return (await this.withTotals(manager, [row]))[0]!;
  }

  async list(userId: string, query: ListConversationsQueryDto): Promise<ConversationPage> {
    const manager = this.dataSource.manager;
    if (query.cursor !== undefined && query.page !== 1) throw DomainError.invalidField('cursor', 'give either page or cursor, not both');
    const offset = (query.page - 1) * query.page_size;
    const after = query.cursor === undefined ? undefined : decodeConversationCursor(query.cursor, query.sort);
    const { rows, total } = await this.conversations.page(manager, userId, query.status, query.sort, query.page_size + 1, after ? { after } : { offset });
    const page = rows.slice(0, query.page_size);
    const last = page[page.length - 1];
    const more = rows.length > query.page_size;
    return {
      list: await this.withTotals(manager, page),
      page: query.page,
      page_size: query.page_size,
      total,
      has_more: more,
      next_cursor: more && last ? encodeKeysetCursor([query.sort, last.sort_at, last.id]) : null,
    };
  }

  async update(userId: string, id: string, dto: UpdateConversationDto): Promise<ConversationResponse> {
    if (dto.title === undefined && dto.status === undefined) {
      throw DomainError.validation([{ field: 'body', problem: 'must change title or status' }], 'nothing to update');
    }
    const manager = this.dataSource.manager;
    const row = await this.conversations.update(manager, userId, id, { title: dto.title, status: dto.status });
    if (!row) throw conversationNotFound(id);
    return (await this.withTotals(manager, [row]))[0]!;
  }

  /** Soft delete by default; purge removes the conversation, its messages and its open reservations for good (a deleted one too). */
  async delete(userId: string, id: string, purge: boolean): Promise<void> {
    if (!purge) {
      if (!(await this.conversations.softDelete(this.dataSource.manager, userId, id))) throw conversationNotFound(id);
      return;
    }
    const purged = await this.dataSource.transaction((manager) => this.conversations.purge(manager, [id], userId));
    if (purged === 0) throw conversationNotFound(id);
  }

  private async withTotals(manager: EntityManager, rows: ConversationRow[]): Promise<ConversationResponse[]> {
    const totals = await this.ledgerTotals.conversationTotals(
      manager,
      rows.map((r) => r.id),
    );
    return rows.map((row) => toResponse(row, totals.get(row.id) ?? 0));
  }
}

export function toResponse(row: ConversationRow, tokensTotal: number): ConversationResponse {
  return {
    conversation_id: row.id,
    title: row.title,
    has_title: row.title !== null && row.title.length > 0,
    model: row.model,
    system_prompt: row.system_prompt,
    message_count: row.message_count,
    last_message_at: row.last_message_at,
    // Every read skips deleted rows (status <> 'deleted'), so a row shown here is active or archived.
    status: row.status as ConversationResponse['status'],
    created_at: row.created_at,
    updated_at: row.updated_at,
    tokens_total: tokensTotal,
  };
}

/** A keyset cursor of the conversation list: [sort, sort time, id]; it only continues the sort it was made for. */
function decodeConversationCursor(cursor: string, sort: ConversationSort): { at: string; id: string } {
  const [cursorSort, at, id] = decodeKeysetCursor(cursor, [CursorFields.oneOf(...CONVERSATION_SORTS), CursorFields.timestampMicros, CursorFields.uuid]) as [
    ConversationSort,
    string,
    string,
  ];
  if (cursorSort !== sort) throw invalidCursor(`was issued for sort=${cursorSort}, not sort=${sort}`);
  return { at, id };
}
