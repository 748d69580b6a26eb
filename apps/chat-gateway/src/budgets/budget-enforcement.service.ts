import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { budgetThresholdCrossedV1, buildEnvelope, uuidv7 } from '@chat-ledger/contracts';
import { OutboxWriter } from '@chat-ledger/outbox';
import { DomainError, ErrorCode } from '@chat-ledger/platform';
import { GatewayConfig } from '../config/gateway.config';
import { budgetResponseOf, limitsPassed, thresholdsReached } from './budget-state';
import { BudgetsRepository, BudgetState, UserWriteLock } from './budgets.repository';

const ADJECTIVE = { day: 'daily', week: 'weekly', month: 'monthly' } as const;

export interface RoundStart {
  userId: string;
  /** The round's organisation (its conversation's); its open reservation names it. */
  orgId: string | null;
  conversationId: string;
  messageId: string;
  model: string | null;
  /** The request's max_tokens; else the budget's round_reservation_tokens. */
  maxTokens?: number;
}

/**
 * Budgets at the moment of a write, inside the write's transaction. Every method assumes the caller took
 * `lockUser` first, so admission, reservation and the write itself are one serialised step per user: 50
 * parallel rounds against room for 10 admit exactly 10.
 */
@Injectable()
export class BudgetEnforcementService {
  constructor(
    private readonly budgets: BudgetsRepository,
    private readonly outbox: OutboxWriter,
    private readonly config: GatewayConfig,
  ) {}

  /**
   * Takes the user's write lock; says whether the user has a budget (nothing else to do when not), the user's
   * organisation as bound so far and which organisation's budget the user's rounds count towards.
   */
  lockUser(manager: EntityManager, userId: string, claimedOrg?: string | null): Promise<UserWriteLock> {
    return this.budgets.lockUser(manager, userId, claimedOrg);
  }

  /**
   * A user message opens a round: admitted when used + open reservations + this reservation stay within
   * every hard limit of the user's budget and of the organisation's (when the round is of an organisation with
   * one), then its one reservation is recorded, which both count. A soft budget admits every round. The
   * organisation's checks are serialised by its lock, taken after the user's.
   */
  async admitRound(manager: EntityManager, lock: UserWriteLock, round: RoundStart): Promise<void> {
    const states: BudgetState[] = [];
    if (lock.budgeted) {
      const user = await this.budgets.state(manager, 'user', round.userId);
      if (user) states.push(user);
    }
    if (round.orgId !== null && lock.orgBudget === round.orgId) {
      await this.budgets.lockOrg(manager, round.orgId);
      const org = await this.budgets.state(manager, 'org', round.orgId);
      if (org) states.push(org);
    }
    if (states.length === 0) return;
    const tokens = round.maxTokens ?? Math.max(...states.map((s) => s.round_reservation_tokens));
    const cost = await this.budgets.reservationCost(manager, round.model, tokens);
    for (const state of states) this.admit(state, round, tokens, cost);
    if (tokens > 0) {
      await this.budgets.reserve(manager, {
        id: uuidv7(),
        userId: round.userId,
        orgId: round.orgId,
        conversationId: round.conversationId,
        messageId: round.messageId,
        tokens,
        costMicros: cost,
        ttlMs: this.config.BUDGET_RESERVATION_TTL,
      });
    }
  }

  /** Refuses the round (429, nothing written) when it would pass a hard limit of this budget. */
  private admit(state: BudgetState, round: RoundStart, tokens: number, cost: number): void {
    const passed = limitsPassed(state, tokens, cost);
    if (passed.length > 0 && state.mode === 'hard') {
      const now = Date.now();
      // Room comes back at the reset, or earlier when an open reservation expires and that is what blocks.
      const usedAlone = limitsPassed({ ...state, reserved_tokens: 0, reserved_cost_micros: 0 }, tokens, cost).length > 0;
      const freeAt =
        !usedAlone && state.first_reservation_expiry
          ? Math.min(Date.parse(state.first_reservation_expiry), Date.parse(state.period_end))
          : Date.parse(state.period_end);
      const retryAfter = Math.max(1, Math.ceil((freeAt - now) / 1000));
      throw new DomainError(
        ErrorCode.BudgetExceeded,
        `the ${ADJECTIVE[state.period]} ${passed.join(' and ')} budget of ${state.scope === 'user' ? 'user' : 'organisation'} ${state.subject} has no room for another round until ${state.period_end}`,
        passed.map((metric) => ({
          field: metric === 'tokens' ? 'limit_tokens' : 'limit_cost_micros',
          problem:
            metric === 'tokens'
              ? `used ${state.used_tokens} + reserved ${state.reserved_tokens} + this round ${tokens} would pass ${state.limit_tokens}`
              : `used ${state.used_cost_micros} + reserved ${state.reserved_cost_micros} + this round ${cost} would pass ${state.limit_cost_micros}`,
        })),
        { 'Retry-After': String(retryAfter) },
        { budget: budgetResponseOf(state) },
      );
    }
  }

  /** The round's assistant message: its actual usage (now in the outbox) replaces the reservation. */
  async settleRound(manager: EntityManager, conversationId: string, messageId: string): Promise<void> {
    await this.budgets.settle(manager, conversationId, messageId);
  }

  /**
   * After a write that spent (it is in the outbox already, so it counts): each threshold the period's spend has
   * reached and that was not announced in this period yet is published, once, in this transaction.
   */
  async announceThresholds(manager: EntityManager, userId: string): Promise<void> {
    const state = await this.budgets.state(manager, 'user', userId);
    if (!state) return;
    for (const reached of thresholdsReached(state)) {
      const eventId = uuidv7();
      if (
        !(await this.budgets.markCrossed(manager, { userId, periodStart: state.period_start, metric: reached.metric, threshold: reached.threshold, eventId }))
      )
        continue;
      await this.outbox.append(manager, {
        envelope: buildEnvelope(budgetThresholdCrossedV1, {
          id: eventId,
          source: this.config.EVENT_SOURCE,
          data: {
            user_id: userId,
            metric: reached.metric,
            threshold_percent: reached.threshold,
            limit: reached.limit,
            used: reached.used,
            period: state.period,
            tz: state.tz,
            mode: state.mode,
            period_start: state.period_start,
            period_end: state.period_end,
          },
        }),
        partitionKey: userId,
      });
    }
  }
}
