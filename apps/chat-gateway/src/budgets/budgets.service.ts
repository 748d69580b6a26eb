import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { DomainError, ErrorCode, Principal, Scopes } from '@chat-ledger/platform';
import { TenantsService } from '../tenants/tenants.service';
import { toBudgetResponse, toOrgBudgetResponse } from './budget-state';
import { BudgetScope, BudgetsRepository, BudgetState } from './budgets.repository';
import type { BudgetResponse, OrgBudgetResponse } from './dto/budget.response';
import type { PutBudgetDto } from './dto/put-budget.dto';

const budgetNotFound = (scope: BudgetScope, subject: string) =>
  new DomainError(ErrorCode.BudgetNotFound, `${scope === 'user' ? 'user' : 'organisation'} ${subject} has no budget`);

const operates = (principal: Principal) => principal.scopes.has(Scopes.usageReadAll) || principal.scopes.has(Scopes.budgetsAdmin);

/**
 * Operators set and remove budgets (audited); users read their own with what they have spent, and the members of
 * an organisation read its budget. A token naming an organisation (org_id claim) reaches no other organisation's
 * budgets, nor the budgets of users of another one.
 */
@Injectable()
export class BudgetsService {
  private readonly logger = new Logger('Budgets');

  constructor(
    private readonly dataSource: DataSource,
    private readonly budgets: BudgetsRepository,
    private readonly tenants: TenantsService,
  ) {}

  async get(principal: Principal, userId: string): Promise<BudgetResponse> {
    const manager = this.dataSource.manager;
    const mayRead =
      principal.userId === userId ||
      (principal.orgId === undefined && operates(principal)) ||
      (principal.orgId !== undefined &&
        (operates(principal) || principal.scopes.has(Scopes.usageReadOrg)) &&
        (await this.tenants.boundOrg(manager, userId)) === principal.orgId);
    if (!mayRead) throw new DomainError(ErrorCode.Forbidden, `reading the budget of another user needs scope ${Scopes.usageReadAll}`);
    const state = await this.budgets.state(manager, 'user', userId);
    if (!state) throw budgetNotFound('user', userId);
    return toBudgetResponse(state);
  }

  /** An organisation's budget: its members read it (they are the ones it refuses), and operators. */
  async getOrg(principal: Principal, orgId: string): Promise<OrgBudgetResponse> {
    const mayRead = principal.orgId === orgId || (principal.orgId === undefined && operates(principal));
    if (!mayRead) throw new DomainError(ErrorCode.Forbidden, `reading the budget of another organisation needs scope ${Scopes.usageReadAll}`);
    const state = await this.budgets.state(this.dataSource.manager, 'org', orgId);
    if (!state) throw budgetNotFound('org', orgId);
    return toOrgBudgetResponse(state);
  }

  async put(principal: Principal, userId: string, dto: PutBudgetDto): Promise<BudgetResponse> {
    return toBudgetResponse(
      await this.change(
        principal,
        'user',
        userId,
        async (manager) => {
          // Under the user's write lock: a budget never changes in the middle of another write's check.
          await this.budgets.lockUser(manager, userId);
          await this.budgets.upsert(manager, 'user', userId, dto, principal.userId);
          return (await this.budgets.state(manager, 'user', userId))!;
        },
        dto,
      ),
    );
  }

  async putOrg(principal: Principal, orgId: string, dto: PutBudgetDto): Promise<OrgBudgetResponse> {
    return toOrgBudgetResponse(
      await this.change(
        principal,
        'org',
        orgId,
        async (manager) => {
          await this.budgets.lockOrg(manager, orgId);
          await this.budgets.upsert(manager, 'org', orgId, dto, principal.userId);
          return (await this.budgets.state(manager, 'org', orgId))!;
        },
        dto,
      ),
    );
  }

  async delete(principal: Principal, scope: BudgetScope, subject: string): Promise<void> {
    await this.mayChange(principal, scope, subject);
    await this.dataSource.transaction(async (manager) => {
      if (scope === 'user') await this.budgets.lockUser(manager, subject);
      else await this.budgets.lockOrg(manager, subject);
      if (!(await this.budgets.delete(manager, scope, subject))) throw budgetNotFound(scope, subject);
      await this.budgets.audit(manager, { id: uuidv7(), scope, subject, action: 'delete', budget: null, actor: principal.userId });
    });
    this.logger.log({ msg: 'budget removed', [scope === 'user' ? 'user_id' : 'org_id']: subject, actor: principal.userId });
  }

  private async change(
    principal: Principal,
    scope: BudgetScope,
    subject: string,
    write: (manager: EntityManager) => Promise<BudgetState>,
    dto: PutBudgetDto,
  ): Promise<BudgetState> {
    if (dto.limit_tokens === undefined && dto.limit_cost_micros === undefined) {
      throw DomainError.validation([
        { field: 'limit_tokens', problem: 'give limit_tokens, limit_cost_micros or both' },
        { field: 'limit_cost_micros', problem: 'give limit_tokens, limit_cost_micros or both' },
      ]);
    }
    await this.mayChange(principal, scope, subject);
    const state = await this.dataSource.transaction(async (manager) => {
      if (!(await this.budgets.isKnownTimeZone(manager, dto.tz))) throw DomainError.invalidField('tz', `is not a time zone PostgreSQL knows (${dto.tz})`);
      const written = await write(manager);
      await this.budgets.audit(manager, { id: uuidv7(), scope, subject, action: 'put', budget: { ...dto }, actor: principal.userId });
      return written;
    });
    this.logger.log({
      msg: 'budget set',
      [scope === 'user' ? 'user_id' : 'org_id']: subject,
      actor: principal.userId,
      period: dto.period,
      tz: dto.tz,
      mode: dto.mode,
    });
    return state;
  }

  /** An operator of an organisation (budgets:admin with an org_id claim) sets budgets of its organisation and its users only. */
  private async mayChange(principal: Principal, scope: BudgetScope, subject: string): Promise<void> {
    if (principal.orgId === undefined) return;
    const org = scope === 'org' ? subject : await this.tenants.boundOrg(this.dataSource.manager, subject);
    if (org !== principal.orgId) {
      throw new DomainError(ErrorCode.Forbidden, `the token is of organisation ${principal.orgId}: it sets budgets of that organisation and its users only`, [
        { field: scope === 'org' ? 'org_id' : 'user_id', problem: 'is of another organisation' },
      ]);
    }
  }
}
