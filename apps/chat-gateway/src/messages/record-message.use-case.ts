import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildEnvelope, chatMessageRecordedV3, ChatMessageRecordedV3, TokenUsageV2, usageProblems, uuidv7 } from '@chat-ledger/contracts';
import { OutboxWriter } from '@chat-ledger/outbox';
import { DomainError, Principal } from '@chat-ledger/platform';
import { BudgetEnforcementService } from '../budgets/budget-enforcement.service';
import { GatewayConfig } from '../config/gateway.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { conversationNotFound } from '../conversations/conversations.service';
import { IdempotencyScope, IdempotencyService, IdempotentResult } from '../idempotency/idempotency.service';
import { RecordedMessageResponse } from './dto/message.response';
import { RecordMessageDto, UsageDto } from './dto/record-message.dto';
import { TenantsService } from '../tenants/tenants.service';
import { MessageContent, MessagesRepository } from './messages.repository';
import { MessageWriteRepository } from './message-write.repository';

export interface RecordMessageCommand {
  /** The user writing: the message is theirs, and their token's org_id / project_id claims are its tenant's. */
  principal: Principal;
  /** Absent: create a conversation for this message (POST /v1/chat/messages). */
  conversationId?: string;
  /** The project of a conversation created for this message; for an existing one, it must be that conversation's. */
  projectId?: string;
  message: RecordMessageDto;
  idempotency?: IdempotencyScope;
  traceparent?: string;
}

export function normalizeUsage(usage: UsageDto | null | undefined): TokenUsageV2 {
  if (!usage) return { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 0 };
  const sum = usage.prompt_tokens + usage.completion_tokens;
  if (usage.total_tokens !== undefined && usage.total_tokens !== sum) {
    throw DomainError.invalidField('usage.total_tokens', `must equal prompt_tokens + completion_tokens (${sum})`);
  }
  if (sum > 1_000_000_000) throw DomainError.invalidField('usage.total_tokens', 'must be at most 1000000000');
  const normalized: TokenUsageV2 = {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    cached_tokens: usage.cached_tokens ?? 0,
    cache_write_tokens: usage.cache_write_tokens ?? 0,
    reasoning_tokens: usage.reasoning_tokens ?? 0,
    total_tokens: sum,
  };
  // The same rules the ledger applies to the event (one definition, in the contract): refused here with the field named.
  const [problem] = usageProblems(normalized, 'usage');
  if (problem) {
    const [field, text] = problem.split(': ');
    throw DomainError.invalidField(field!, text!);
  }
  return normalized;
}

/** The message's columns from the request (explicit nulls). */
function contentOf(message: RecordMessageDto, usage: TokenUsageV2): MessageContent {
  return {
    role: message.role,
    content: message.content,
    model: message.model ?? null,
    usage,
    channel: message.channel ?? null,
    operation: message.operation ?? null,
  };
}

/**
 * Stores a message and its `chat.message.recorded` outbox row in one transaction (Guarantee 1):
 * either the message, the conversation's counters and the event all commit, or none of them does.
 *
 * Budgets: a user message opens a round and is admitted (or refused, writing nothing) by the user's budget;
 * the round's assistant message settles its reservation. What has been spent is never refused: assistant
 * and tool messages are always recorded, even over the limit. The user's write lock is taken first, before
 * the conversation's row, so every write of one user takes its locks in the same order.
 *
 * Tenants: a message counts in its conversation's organisation and project (fixed when the conversation was
 * created, from the user's organisation and the token's claims) with the API key the caller reports.
 */
@Injectable()
export class RecordMessageUseCase {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly outbox: OutboxWriter,
    private readonly idempotency: IdempotencyService,
    private readonly config: GatewayConfig,
    private readonly budgets: BudgetEnforcementService,
    private readonly tenants: TenantsService,
    private readonly oneStatement: MessageWriteRepository,
  ) {}

  async execute(cmd: RecordMessageCommand): Promise<IdempotentResult<RecordedMessageResponse>> {
    const { message, principal } = cmd;
    const userId = principal.userId;
    if (Buffer.byteLength(message.content, 'utf8') > this.config.MESSAGE_MAX_BYTES) {
      throw DomainError.invalidField('content', `must be at most ${this.config.MESSAGE_MAX_BYTES} bytes of UTF-8`);
    }
    const usage = normalizeUsage(message.usage);

    if (cmd.conversationId && !cmd.idempotency) {
      const written = await this.recordInOneStatement(cmd, cmd.conversationId, usage);
      if (written) return { status: HttpStatus.CREATED, body: written, replayed: false };
      // Nothing written: a budget to check, a tenant rule to explain or no such conversation. The transaction decides.
    }

    return this.dataSource.transaction((manager) =>
      this.idempotency.runOnce(manager, cmd.idempotency, HttpStatus.CREATED, async () => {
        const lock = await this.budgets.lockUser(manager, userId, principal.orgId);
        let conversationId = cmd.conversationId;
        if (!conversationId) {
          conversationId = uuidv7();
          const orgId = await this.tenants.orgForWrite(manager, principal, userId, { boundOrg: lock.boundOrg });
          const projectId = this.tenants.projectFor(principal, cmd.projectId);
          await this.conversations.insert(manager, { id: conversationId, userId, model: message.model ?? null, orgId, projectId });
        } else {
          this.tenants.assertClaimedOrg(principal, lock.boundOrg);
        }
        const activity = await this.conversations.recordActivity(manager, userId, conversationId);
        if (!activity) throw conversationNotFound(conversationId);
        if (cmd.conversationId) this.tenants.assertProjectOf(principal, activity.project_id, cmd.projectId);
        const createdAt = activity.last_message_at;
        const tenant = { org_id: activity.org_id, project_id: activity.project_id, api_key_id: message.api_key_id ?? null };
        const budgeted = lock.budgeted || (lock.orgBudget !== null && lock.orgBudget === tenant.org_id);

        const messageId = uuidv7();
        if (budgeted && message.role === 'user') {
          await this.budgets.admitRound(manager, lock, {
            userId,
            orgId: tenant.org_id,
            conversationId,
            messageId,
            model: message.model ?? null,
            maxTokens: message.max_tokens,
          });
        }
        await this.messages.insert(manager, {
          id: messageId,
          conversationId,
          userId,
          ...contentOf(message, usage),
          createdAt,
        });

        await this.outbox.append(manager, {
          envelope: this.envelope(cmd, { conversationId, messageId, usage, tenant, createdAt }),
          partitionKey: userId,
          traceparent: cmd.traceparent,
        });
        if (budgeted) {
          if (message.role === 'assistant') await this.budgets.settleRound(manager, conversationId, messageId);
          if (lock.budgeted && usage.total_tokens !== 0) await this.budgets.announceThresholds(manager, userId);
        }

        return {
          message_id: messageId,
          conversation_id: conversationId,
          role: message.role,
          tokens_consumed: usage.total_tokens,
          created_at: createdAt,
        };
      }),
    );
  }

  /**
   * A message into an existing conversation of a user without a budget (no idempotency key): one statement, its own
   * transaction (MessageWriteRepository). Undefined when it wrote nothing.
   */
  private async recordInOneStatement(cmd: RecordMessageCommand, conversationId: string, usage: TokenUsageV2): Promise<RecordedMessageResponse | undefined> {
    const { message, principal } = cmd;
    const messageId = uuidv7();
    // The statement puts the conversation's tenant and the message's time into the envelope (placeholders here).
    const envelope = this.envelope(cmd, {
      conversationId,
      messageId,
      usage,
      tenant: { org_id: null, project_id: null, api_key_id: message.api_key_id ?? null },
      createdAt: undefined,
    });
    const written = await this.outbox.appendWith({ envelope, partitionKey: principal.userId, traceparent: cmd.traceparent }, (row) =>
      this.oneStatement.recordInOneStatement(
        this.dataSource.manager,
        {
          userId: principal.userId,
          conversationId,
          messageId,
          claimedOrg: principal.orgId ?? null,
          tokenProject: principal.projectId ?? null,
          requestedProject: cmd.projectId,
          ...contentOf(message, usage),
        },
        this.outbox.storesRows ? row : undefined,
      ),
    );
    if (!written) return undefined;
    return { message_id: messageId, conversation_id: conversationId, role: message.role, tokens_consumed: usage.total_tokens, created_at: written.created_at };
  }

  private envelope(
    cmd: RecordMessageCommand,
    m: {
      conversationId: string;
      messageId: string;
      usage: TokenUsageV2;
      tenant: Pick<ChatMessageRecordedV3, 'org_id' | 'project_id' | 'api_key_id'>;
      createdAt: string | undefined;
    },
  ) {
    const { message, principal } = cmd;
    const data: ChatMessageRecordedV3 = {
      user_id: principal.userId,
      conversation_id: m.conversationId,
      message_id: m.messageId,
      role: message.role,
      model: message.model ?? null,
      usage: m.usage,
      tokens_delta: m.usage.total_tokens,
      channel: message.channel ?? null,
      operation: message.operation ?? null,
      ...m.tenant,
    };
    return buildEnvelope(chatMessageRecordedV3, { source: this.config.EVENT_SOURCE, occurredAt: m.createdAt, data });
  }
}
