import { DomainError, ErrorCode, Principal, Scopes } from '@chat-ledger/platform';

export function canReadAll(principal: Principal): boolean {
  return principal.scopes.has(Scopes.usageReadAll);
}

/**
 * Whose usage a request reads. A user reads their own; naming another user is a 403 (the user id is in
 * the request, so there is nothing to hide) unless the token has usage:read_all. Omitting user_id reads
 * the caller's own usage, or everybody's with usage:read_all.
 * Returns null for "all users".
 */
export function usageScope(principal: Principal, requested: string | undefined): string | null {
  if (requested !== undefined) {
    if (requested !== principal.userId && !canReadAll(principal)) throw forbiddenUser();
    return requested;
  }
  return canReadAll(principal) ? null : principal.userId;
}

export function forbiddenUser(): DomainError {
  return new DomainError(ErrorCode.Forbidden, 'you may only read your own usage', [
    { field: 'user_id', problem: `is another user; reading it requires scope ${Scopes.usageReadAll}` },
  ]);
}
