import { DomainError, ErrorCode, Principal, Scopes } from '@chat-ledger/platform';

/**
 * Operators read everybody's usage: scope usage:read_all on a token without an organisation. A token that names
 * an organisation (org_id claim) never reads beyond it, whatever its scopes.
 */
export function canReadAll(principal: Principal): boolean {
  return principal.scopes.has(Scopes.usageReadAll) && principal.orgId === undefined;
}

/**
 * The organisation a reader reads all of: usage:read_org (or usage:read_all) on a token with an org_id claim.
 * Undefined for operators and for plain users (who read their own usage).
 */
export function readerOrg(principal: Principal): string | undefined {
  if (principal.orgId === undefined) return undefined;
  return principal.scopes.has(Scopes.usageReadOrg) || principal.scopes.has(Scopes.usageReadAll) ? principal.orgId : undefined;
}

/** Who a request reads: a user (null: everybody) within an organisation (null: any). */
export interface ReadScope {
  userId: string | null;
  /** The organisation the reader is confined to (an organisation's reader), else null. */
  orgId: string | null;
}

/**
 * Whose usage a request reads. A user reads their own; naming another user is a 403 (the user id is in the
 * request, so there is nothing to hide). usage:read_all reads anyone's; omitting user_id then means everybody.
 * An organisation's reader reads its organisation: omitting user_id means everybody of it, naming a user of
 * another organisation (or one the ledger knows nothing of) is a 403, and so is an org_id filter naming
 * another organisation. `orgOfUser` is the organisation the ledger counts a user's balance in.
 */
export async function usageScope(
  principal: Principal,
  requested: string | undefined,
  requestedOrg: string | undefined,
  orgOfUser: (userId: string) => Promise<string | null>,
): Promise<ReadScope> {
  const org = readerOrg(principal);
  if (org !== undefined) {
    if (requestedOrg !== undefined && requestedOrg !== org) throw forbiddenOrg(org);
    // Your own usage is yours, in whatever organisation it was counted.
    if (requested === principal.userId) return { userId: requested, orgId: null };
    if (requested !== undefined && (await orgOfUser(requested)) !== org) throw forbiddenUser();
    return { userId: requested ?? null, orgId: org };
  }
  if (requested !== undefined) {
    if (requested !== principal.userId && !canReadAll(principal)) throw forbiddenUser();
    return { userId: requested, orgId: null };
  }
  return { userId: canReadAll(principal) ? null : principal.userId, orgId: null };
}

export function forbiddenUser(): DomainError {
  return new DomainError(ErrorCode.Forbidden, 'you may only read your own usage', [
    {
      field: 'user_id',
      problem: `is another user; reading it requires scope ${Scopes.usageReadAll}, or ${Scopes.usageReadOrg} for the users of your organisation`,
    },
  ]);
}

export function forbiddenOrg(org: string): DomainError {
  return new DomainError(ErrorCode.Forbidden, `you may only read the usage of your organisation (${org})`, [
    { field: 'org_id', problem: 'is another organisation' },
  ]);
}
