import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiErrorResponses } from '../errors/api-error-responses';
import type { Principal } from './jwt';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_SCOPES = 'auth:scopes';

/** Health, docs and metrics answer without a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Every listed scope must be in the token; documents the 403 it answers otherwise. */
export const RequireScopes = (...scopes: string[]) => applyDecorators(SetMetadata(REQUIRED_SCOPES, scopes), ApiErrorResponses(403));

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});

export const Scopes = {
  tokensAdjust: 'tokens:adjust',
  outboxAdmin: 'outbox:admin',
  usageReadAll: 'usage:read_all',
  /** Reads the usage of the token's own organisation (its org_id claim), every view, and nothing else. */
  usageReadOrg: 'usage:read_org',
  pricesAdmin: 'prices:admin',
  budgetsAdmin: 'budgets:admin',
  tasksWrite: 'tasks:write',
  tasksRead: 'tasks:read',
  tasksAdmin: 'tasks:admin',
  /** Background systems (agents, indexing, batch jobs) syncing the usage they metered: PUT /v1/usage-records. */
  usageWrite: 'usage:write',
  /** Data protection: erase a user's data (POST /v1/admin/users/:user_id/erase). */
  usersErase: 'users:erase',
} as const;
