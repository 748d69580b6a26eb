import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildEnvelope, toRfc3339Micros, userErasedV1, uuidv7 } from '@chat-ledger/contracts';
import { OutboxErasure, OutboxErasureCounts } from '@chat-ledger/outbox';
import { DomainError, ErrorCode, type Principal } from '@chat-ledger/platform';
import type { EntityManager } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';
import { ErasureResponse } from './dto/erasure.response';
import { ErasureRepository } from './erasure.repository';

const outboxCounts = (c: OutboxErasureCounts) => ({ outbox_pending: c.pending, outbox_published: c.published, outbox_dead: c.dead });

/**
 * Erases a user (data protection): in ONE transaction the user's rows in the chat schema are hard-deleted, the
 * outbox's rows of the user are deleted or flagged to go once published, a user.erased event is written
 * behind every earlier event of the user (the ledger pseudonymises them when it gets there), and the audit row
 * records who erased, when and how much, under a random erasure id, never the user id. Idempotent: erasing
 * again finds nothing left and writes one more (harmless) user.erased event. A dry run counts and writes nothing.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);
  // Always the real writer (not the bench's skipping one): an erasure never goes without its event.
  private readonly outbox = new OutboxErasure();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ErasureRepository,
    private readonly config: GatewayConfig,
  ) {}

  async erase(principal: Principal, userId: string, dryRun: boolean): Promise<ErasureResponse> {
    const actor = principal.userId;
    if (dryRun) {
      const manager = this.dataSource.manager;
      await this.checkTenant(manager, principal, userId);
      const removed = { ...(await this.repo.count(manager, userId)), ...outboxCounts(await this.outbox.count(manager, userId)) };
      return { erasure_id: null, dry_run: true, requested_at: toRfc3339Micros(new Date()), removed, ledger: 'none' };
    }
    const erasureId = uuidv7();
    return this.dataSource.transaction(async (manager) => {
      const envelope = buildEnvelope(userErasedV1, {
        source: this.config.EVENT_SOURCE,
        data: { user_id: userId, erasure_id: erasureId, requested_at: toRfc3339Micros(new Date()) },
      });
      // First: takes the user's write lock, so the user's concurrent writes commit before (and are erased) or after.
      const outbox = await this.outbox.erase(manager, userId, envelope);
      // Under that lock, so the user cannot be bound to an organisation in between.
      await this.checkTenant(manager, principal, userId);
      const removed = { ...(await this.repo.erase(manager, userId)), ...outboxCounts(outbox) };
      const requestedAt = await this.repo.audit(manager, { id: erasureId, actor, eventId: envelope.id, removed });
      this.logger.log({ msg: 'user erased', erasure_id: erasureId, actor, removed });
      return { erasure_id: erasureId, dry_run: false, requested_at: requestedAt, removed, ledger: 'pending' };
    });
  }

  /** A token of an organisation erases only that organisation's users (a user is bound to one on first sight). */
  private async checkTenant(manager: EntityManager, principal: Principal, userId: string): Promise<void> {
    if (principal.orgId === undefined) return;
    if ((await this.repo.organisationOf(manager, userId)) === principal.orgId) return;
    throw new DomainError(ErrorCode.TenantMismatch, `user ${userId} is not a member of organisation ${principal.orgId}`, [
      { field: 'user_id', problem: `not a user of organisation ${principal.orgId}` },
    ]);
  }
}
