import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { DomainError, ErrorCode, Principal, Scopes } from '@chat-ledger/platform';
import { toBudgetResponse } from './budget-state';
import { BudgetsRepository } from './budgets.repository';
import type { BudgetResponse } from './dto/budget.response';
import type { PutBudgetDto } from './dto/put-budget.dto';

const budgetNotFound = (userId: string) => new DomainError(ErrorCode.BudgetNotFound, `user ${userId} has no budget`);

/** Operators set and remove budgets (audited); users read their own with what they have spent. */
@Injectable()
export class BudgetsService {
  private readonly logger = new Logger('Budgets');

  constructor(
    private readonly dataSource: DataSource,
    private readonly budgets: BudgetsRepository,
  ) {}

  async get(principal: Principal, userId: string): Promise<BudgetResponse> {
    const mayRead = principal.userId === userId || principal.scopes.has(Scopes.usageReadAll) || principal.scopes.has(Scopes.budgetsAdmin);
    if (!mayRead) throw new DomainError(ErrorCode.Forbidden, `reading the budget of another user needs scope ${Scopes.usageReadAll}`);
    const state = await this.budgets.state(this.dataSource.manager, userId);
    if (!state) throw budgetNotFound(userId);
    return toBudgetResponse(state);
  }

  async put(actor: string, userId: string, dto: PutBudgetDto): Promise<BudgetResponse> {
    if (dto.limit_tokens === undefined && dto.limit_cost_micros === undefined) {
      throw DomainError.validation([
        { field: 'limit_tokens', problem: 'give limit_tokens, limit_cost_micros or both' },
        { field: 'limit_cost_micros', problem: 'give limit_tokens, limit_cost_micros or both' },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.budgets.isKnownTimeZone(manager, dto.tz))) throw DomainError.invalidField('tz', `is not a time zone PostgreSQL knows (${dto.tz})`);
      // Under the user's write lock: a budget never changes in the middle of another write's check.
      await this.budgets.lockUser(manager, userId);
      await this.budgets.upsert(manager, userId, dto, actor);
      const state = (await this.budgets.state(manager, userId))!;
      const budget = toBudgetResponse(state);
      await this.budgets.audit(manager, { id: uuidv7(), userId, action: 'put', budget: { ...dto }, actor });
      this.logger.log({ msg: 'budget set', user_id: userId, actor, period: dto.period, tz: dto.tz, mode: dto.mode });
      return budget;
    });
  }

  async delete(actor: string, userId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.budgets.lockUser(manager, userId);
      if (!(await this.budgets.delete(manager, userId))) throw budgetNotFound(userId);
      await this.budgets.audit(manager, { id: uuidv7(), userId, action: 'delete', budget: null, actor });
    });
    this.logger.log({ msg: 'budget removed', user_id: userId, actor });
  }
}
