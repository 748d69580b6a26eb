import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal } from './jwt';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_SCOPES = 'auth:scopes';

/** Health, docs and metrics answer without a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Every listed scope must be in the token. */
export const RequireScopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES, scopes);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});

export const Scopes = {
  tokensAdjust: 'tokens:adjust',
  outboxAdmin: 'outbox:admin',
  usageReadAll: 'usage:read_all',
  pricesAdmin: 'prices:admin',
  budgetsAdmin: 'budgets:admin',
  tasksWrite: 'tasks:write',
  tasksRead: 'tasks:read',
  tasksAdmin: 'tasks:admin',
} as const;
