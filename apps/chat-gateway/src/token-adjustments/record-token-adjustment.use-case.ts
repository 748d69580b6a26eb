import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildEnvelope, tokensAdjustedV3, TokensAdjustedV3, toRfc3339Micros, uuidv7 } from '@chat-ledger/contracts';
import { OutboxWriter } from '@chat-ledger/outbox';
import { DomainError, Principal } from '@chat-ledger/platform';
import { BudgetEnforcementService } from '../budgets/budget-enforcement.service';
import { GatewayConfig } from '../config/gateway.config';
import { ConversationsRepository } from '../conversations/conversations.repository';
import { IdempotencyScope, IdempotencyService, IdempotentResult } from '../idempotency/idempotency.service';
import { MessagesRepository } from '../messages/messages.repository';
import { TenantsService } from '../tenants/tenants.service';
import { CreateTokenAdjustmentDto } from './dto/create-token-adjustment.dto';
import { TokenAdjustmentAccepted } from './dto/token-adjustment.response';

const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const MAX_FUTURE_MS = 24 * 3_600_000;

export interface RecordTokenAdjustmentCommand {
  /** The service writing: its token's org_id / project_id claims bound the tenant it may write for. */
  principal: Principal;
  adjustment: CreateTokenAdjustmentDto;
  idempotency?: IdempotencyScope;
  traceparent?: string;
}

/**
 * Writes a `ledger.tokens.adjusted` event to the outbox. A referenced conversation or message must
 * belong to the adjusted user, so a typo in an internal service cannot move tokens between users. The user must
 * be of the service's organisation (a service of one never writes for a user of another: 403 TENANT_MISMATCH);
 * the adjustment counts there, in the named project (default: the token's, else the conversation's).
 */
@Injectable()
export class RecordTokenAdjustmentUseCase {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly outbox: OutboxWriter,
    private readonly idempotency: IdempotencyService,
    private readonly config: GatewayConfig,
    private readonly budgets: BudgetEnforcementService,
    private readonly tenants: TenantsService,
  ) {}

  async execute(cmd: RecordTokenAdjustmentCommand): Promise<IdempotentResult<TokenAdjustmentAccepted>> {
    const a = cmd.adjustment;
    const triggeredAt = Date.parse(a.triggered_at);
    if (Number.isNaN(triggeredAt) || triggeredAt < EARLIEST || triggeredAt > Date.now() + MAX_FUTURE_MS) {
      throw DomainError.invalidField('triggered_at', 'must be a real time between 2000-01-01 and one day from now');
    }

    return this.dataSource.transaction((manager) =>
      this.idempotency.runOnce(manager, cmd.idempotency, HttpStatus.ACCEPTED, async () => {
        // The user's lock first, as every write of the user takes it (its first binding to an organisation is made
        // under it); it also says whether the user has a budget and is bound already.
        const lock = await this.budgets.lockUser(manager, a.user_id);
        let conversationId = a.conversation_id ?? null;
        let conversationProject: string | null = null;
        if (a.message_id) {
          const message = await this.messages.findOwned(manager, a.user_id, a.message_id);
          if (!message) throw DomainError.invalidField('message_id', 'no such message for this user');
          if (conversationId && conversationId !== message.conversation_id) {
            throw DomainError.invalidField('conversation_id', 'does not contain message_id');
          }
          conversationId = message.conversation_id;
          conversationProject = message.project_id;
        } else if (conversationId) {
          const exists = await this.conversations.findVisible(manager, a.user_id, conversationId);
          if (!exists) throw DomainError.invalidField('conversation_id', 'no such conversation for this user');
          conversationProject = exists.project_id;
        }
        const tenant = await this.tenants.forServiceWrite(manager, cmd.principal, a.user_id, a, { project_id: conversationProject, boundOrg: lock.boundOrg });

        const eventId = uuidv7();
        const data: TokensAdjustedV3 = {
          user_id: a.user_id,
          conversation_id: conversationId,
          message_id: a.message_id ?? null,
          tokens_delta: a.tokens_delta,
          reason: a.reason,
          triggered_at: toRfc3339Micros(new Date(triggeredAt)),
          model: a.model ?? null,
          channel: a.channel ?? null,
          operation: a.operation ?? null,
          ...tenant,
        };
        await this.outbox.append(manager, {
          envelope: buildEnvelope(tokensAdjustedV3, { id: eventId, source: this.config.EVENT_SOURCE, data }),
          partitionKey: a.user_id,
          traceparent: cmd.traceparent,
        });
        // Spent tokens are never refused, but they count towards the user's budget and may cross a threshold.
        if (a.tokens_delta !== 0 && lock.budgeted) await this.budgets.announceThresholds(manager, a.user_id);
        return { event_id: eventId };
      }),
    );
  }
}
