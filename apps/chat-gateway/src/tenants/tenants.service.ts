import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantFields } from '@chat-ledger/contracts';
import { DomainError, ErrorCode, Principal } from '@chat-ledger/platform';
import { TenantsRepository } from './tenants.repository';

export type Tenant = TenantFields;

/** 403 TENANT_MISMATCH: the write names a tenant the caller may not write for. Nothing is written. */
export function tenantMismatch(field: string, problem: string): DomainError {
  return new DomainError(ErrorCode.TenantMismatch, `${field} ${problem}`, [{ field, problem }]);
}

/**
 * Where a write's tenant comes from (docs/tenants.md):
 * - the organisation is the caller's token's (org_id claim); a token without one (a platform service, or a
 *   deployment without tenants) may name it in the body (org_id), a token with one may only repeat its own;
 * - a user belongs to one organisation, bound the first time a write names the user with one; a write naming the
 *   user for another organisation is refused (403 TENANT_MISMATCH), one naming none takes the user's;
 * - the project is the body's (project_id) or the token's claim; a token with a project claim writes for no other.
 */
@Injectable()
export class TenantsService {
  constructor(private readonly tenants: TenantsRepository) {}

  /** The organisation a user is bound to (null: none yet). */
  boundOrg(manager: EntityManager, userId: string): Promise<string | null> {
    return this.tenants.orgOf(manager, userId);
  }

  /**
   * The organisation a write for `userId` counts in, binding the user on first sight. `boundOrg` is the user's
   * binding when the caller read it already (the user's write lock reads it in the same round trip). A write that
   * holds the user's lock binds only under it (the lock comes first), so a binding never waits for that lock.
   */
  async orgForWrite(
    manager: EntityManager,
    principal: Principal,
    userId: string,
    opts: { requestedOrg?: string; boundOrg?: string | null } = {},
  ): Promise<string | null> {
    const claimed = this.claimedOrg(principal, opts.requestedOrg);
    // A binding never changes once made, so one read before is final; "none" may be stale (a first binding that
    // committed while this write waited for the user's lock), so it is read again or decided by the insert.
    let bound = opts.boundOrg ?? null;
    if (bound === null) {
      bound = claimed === undefined ? await this.tenants.orgOf(manager, userId) : await this.tenants.bind(manager, userId, claimed, principal.userId);
      if (bound === null) return null;
    }
    if (claimed !== undefined && bound !== claimed) {
      throw tenantMismatch(
        principal.userId === userId ? 'org_id' : 'user_id',
        principal.userId === userId
          ? `is ${claimed} in the token, but user ${userId} belongs to another organisation`
          : `names a user of another organisation than ${claimed}`,
      );
    }
    return bound;
  }

  /** A user token's org_id claim must be the organisation the user is bound to (when bound). */
  assertClaimedOrg(principal: Principal, boundOrg: string | null): void {
    if (principal.orgId !== undefined && boundOrg !== null && boundOrg !== principal.orgId) {
      throw tenantMismatch('org_id', `is ${principal.orgId} in the token, but user ${principal.userId} belongs to another organisation`);
    }
  }

  /**
   * A message into an existing conversation counts in the conversation's project: a project_id naming another is a
   * 400, a token with a project claim writes into no conversation of another project (403).
   */
  assertProjectOf(principal: Principal, conversationProject: string | null, requested: string | undefined): void {
    if (requested !== undefined && requested !== conversationProject) {
      throw DomainError.invalidField('project_id', `is fixed by the conversation (${conversationProject ?? 'none'})`);
    }
    if (principal.projectId !== undefined && conversationProject !== null && conversationProject !== principal.projectId) {
      throw tenantMismatch('project_id', `is ${principal.projectId} in the token, but the conversation is of another project`);
    }
  }

  /** The organisation a caller names: its token's, or (a token without one) the body's. */
  claimedOrg(principal: Principal, requested: string | undefined): string | undefined {
    if (requested !== undefined && principal.orgId !== undefined && requested !== principal.orgId) {
      throw tenantMismatch('org_id', `is not the organisation of the token (${principal.orgId})`);
    }
    return principal.orgId ?? requested;
  }

  /** The project of a write: the body's, else the token's; a token with a project claim writes for no other. */
  projectFor(principal: Principal, requested: string | undefined): string | null {
    if (requested !== undefined && principal.projectId !== undefined && requested !== principal.projectId) {
      throw tenantMismatch('project_id', `is not the project of the token (${principal.projectId})`);
    }
    return requested ?? principal.projectId ?? null;
  }

  /** The tenant of a service's write for a user: organisation (binding the user), project, API key. */
  async forServiceWrite(
    manager: EntityManager,
    principal: Principal,
    userId: string,
    body: { org_id?: string; project_id?: string; api_key_id?: string },
    defaults: { project_id?: string | null; boundOrg?: string | null } = {},
  ): Promise<Tenant> {
    const org = await this.orgForWrite(manager, principal, userId, { requestedOrg: body.org_id, boundOrg: defaults.boundOrg });
    const project =
      body.project_id !== undefined || principal.projectId !== undefined ? this.projectFor(principal, body.project_id) : (defaults.project_id ?? null);
    return { org_id: org, project_id: project, api_key_id: body.api_key_id ?? null };
  }
}
