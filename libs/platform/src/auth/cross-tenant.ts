import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiErrorResponses } from '../errors/api-error-responses';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { Principal } from './jwt';

/** Refuses a token that names an organisation: what the route shows belongs to every organisation. */
@Injectable()
export class CrossTenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
    if (principal?.orgId !== undefined) {
      throw new DomainError(ErrorCode.Forbidden, `this shows every organisation's data: a token of organisation ${principal.orgId} may not read it`, [
        { field: 'org_id', problem: 'operators of every organisation only (a token without an org_id claim)' },
      ]);
    }
    return true;
  }
}

/**
 * Operators' views across tenants (the outbox, dead letters, sequence gaps): a token naming an organisation never
 * reaches beyond it, whatever its scopes, so it is refused here (403). Runs after the global AuthGuard.
 */
export const CrossTenant = () => applyDecorators(UseGuards(CrossTenantGuard), ApiErrorResponses(403));
