import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TENANT_ID, TENANT_ID_PROBLEM } from '@chat-ledger/contracts';
import { ApiErrorResponses, CurrentPrincipal, DomainError, ErrorCode, Principal, RequireScopes, Scopes, USER_ID_PATTERN } from '@chat-ledger/platform';
import { BudgetResponse, OrgBudgetResponse } from './dto/budget.response';
import { BudgetsService } from './budgets.service';
import { PutBudgetDto } from './dto/put-budget.dto';

/** Path user ids follow the JWT `sub` rule; anything else names the parameter. */
const userIdOf = (value: string) => {
  if (!USER_ID_PATTERN.test(value)) throw DomainError.invalidField('user_id', 'must be 1 to 64 printable ASCII characters without spaces');
  return value;
};
const orgIdOf = (value: string) => {
  if (!TENANT_ID.test(value)) throw DomainError.invalidField('org_id', TENANT_ID_PROBLEM);
  return value;
};

@ApiTags('budgets')
@ApiBearerAuth()
@Controller('v1')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  /** The user's budget in its current period: limits, used (exact now), reserved, remaining, when it resets. */
  @Get('users/:user_id/budget')
  @ApiOperation({ summary: "The user's budget in its current period (the user, or scope usage:read_all / budgets:admin)" })
  @ApiOkResponse({ type: BudgetResponse })
  @ApiErrorResponses(400, 403, ErrorCode.BudgetNotFound)
  get(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string) {
    return this.budgets.get(principal, userIdOf(userId));
  }

  /** Operators (scope budgets:admin) set a user's budget; it replaces the previous one (audited). */
  @Put('admin/users/:user_id/budget')
  @RequireScopes(Scopes.budgetsAdmin)
  @ApiOperation({ summary: "Sets a user's budget (replaces the previous one; audited)" })
  @ApiOkResponse({ type: BudgetResponse })
  put(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string, @Body() dto: PutBudgetDto) {
    return this.budgets.put(principal, userIdOf(userId), dto);
  }

  @Delete('admin/users/:user_id/budget')
  @RequireScopes(Scopes.budgetsAdmin)
  @HttpCode(204)
  @ApiOperation({ summary: "Removes a user's budget (audited)" })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrorResponses(400, ErrorCode.BudgetNotFound)
  async delete(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string): Promise<void> {
    await this.budgets.delete(principal, 'user', userIdOf(userId));
  }

  /** An organisation's budget in its current period: what all its users spent together. */
  @Get('orgs/:org_id/budget')
  @ApiOperation({ summary: "An organisation's budget in its current period (its members, or scope usage:read_all / budgets:admin)" })
  @ApiOkResponse({ type: OrgBudgetResponse })
  @ApiErrorResponses(400, 403, ErrorCode.BudgetNotFound)
  getOrg(@CurrentPrincipal() principal: Principal, @Param('org_id') orgId: string) {
    return this.budgets.getOrg(principal, orgIdOf(orgId));
  }

  /** Operators (scope budgets:admin) set an organisation's budget: every round of its users counts towards it. */
  @Put('admin/orgs/:org_id/budget')
  @RequireScopes(Scopes.budgetsAdmin)
  @ApiOperation({ summary: "Sets an organisation's budget (replaces the previous one; audited)" })
  @ApiOkResponse({ type: OrgBudgetResponse })
  putOrg(@CurrentPrincipal() principal: Principal, @Param('org_id') orgId: string, @Body() dto: PutBudgetDto) {
    return this.budgets.putOrg(principal, orgIdOf(orgId), dto);
  }

  @Delete('admin/orgs/:org_id/budget')
  @RequireScopes(Scopes.budgetsAdmin)
  @HttpCode(204)
  @ApiOperation({ summary: "Removes an organisation's budget (audited)" })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrorResponses(400, ErrorCode.BudgetNotFound)
  async deleteOrg(@CurrentPrincipal() principal: Principal, @Param('org_id') orgId: string): Promise<void> {
    await this.budgets.delete(principal, 'org', orgIdOf(orgId));
  }
}
