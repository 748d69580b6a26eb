import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { SHARD_COUNT } from '../outbox-schema';
import { DomainError, ErrorCode, ErrorDetail } from '@chat-ledger/platform';
import { ListOutboxQueryDto } from './dto/list-outbox.query.dto';
import { OutboxPage, OutboxRowResponse, OutboxStats, ReplayResult, SkipResult } from './dto/outbox.response';
import { SkipOutboxDto } from './dto/skip-outbox.dto';
import { ReplayOutboxDto } from './dto/replay-outbox.dto';
import { decodeOutboxCursor, encodeOutboxCursor } from './outbox-cursor';
import { OutboxAdminRepository, OutboxReplayFilter, OutboxRowRecord } from './outbox-admin.repository';

/**
 * Inspect, replay and retry outbox rows. Used by the admin HTTP API and by the CLI (`npm run cli --
 * outbox:*`), which builds it on a plain DataSource; `actor` is who asked (principal or `cli:<os user>`).
 */
@Injectable()
export class OutboxAdminService {
  private readonly logger = new Logger('OutboxAdmin');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: OutboxAdminRepository,
  ) {}

  async list(query: ListOutboxQueryDto): Promise<OutboxPage> {
    checkRange([
      { field: 'from', value: query.from && Date.parse(query.from) },
      { field: 'to', value: query.to && Date.parse(query.to) },
    ]);
    const sort = query.sort ?? '-id';
    const limit = query.limit ?? 50;
    const afterId = query.cursor === undefined ? undefined : decodeOutboxCursor(query.cursor, sort);
    const rows = await this.repository.list(this.dataSource.manager, {
      status: query.status,
      eventType: query.event_type,
      userId: query.user_id,
      held: query.held,
      from: query.from,
      to: query.to,
      sort,
      afterId,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { list: page.map(toResponse), next_cursor: rows.length > limit && last ? encodeOutboxCursor(sort, last.id) : null };
  }

  async stats(): Promise<OutboxStats> {
    const manager = this.dataSource.manager;
    const [counts, relays, heldUsers] = await Promise.all([
      this.repository.counts(manager),
      this.repository.relayLeases(manager),
      this.repository.heldUsers(manager, 50),
    ]);
    const leased = new Set(relays.flatMap((r) => r.shards));
    return {
      ...counts,
      relays,
      unassigned_shards: Array.from({ length: SHARD_COUNT }, (_, s) => s).filter((s) => !leased.has(s)),
      held_users_count: heldUsers.count,
      held_users: heldUsers.users,
    };
  }

  async replay(actor: string, dto: ReplayOutboxDto): Promise<ReplayResult> {
    checkRange([
      { field: 'from_id', value: dto.from_id },
      { field: 'to_id', value: dto.to_id },
    ]);
    checkRange([
      { field: 'from', value: dto.from && Date.parse(dto.from) },
      { field: 'to', value: dto.to && Date.parse(dto.to) },
    ]);
    const filter: OutboxReplayFilter = {
      fromId: dto.from_id,
      toId: dto.to_id,
      from: dto.from,
      to: dto.to,
      eventTypes: dto.event_types && [...new Set(dto.event_types)],
      userIds: dto.user_ids && [...new Set(dto.user_ids)],
    };
    if (dto.dry_run) {
      return { replay_id: null, matched: await this.repository.countReplayable(this.dataSource.manager, filter), dry_run: true };
    }
    const replayId = uuidv7();
    const recorded = replayFilterRecord(dto);
    const matched = await this.dataSource.transaction(async (manager) => {
      const n = await this.repository.markForReplay(manager, filter);
      await this.repository.recordReplay(manager, { id: replayId, actor, filter: recorded, matched: n });
      if (n > 0) await this.repository.notifyRelays(manager);
      return n;
    });
    this.logger.log({ msg: 'outbox replay', replay_id: replayId, actor, matched, filter: recorded });
    return { replay_id: replayId, matched, dry_run: false };
  }

  /**
   * Gives up on a dead row: it becomes `skipped` (never published by the relay, still replayable), the
   * decision is audited with who and why, and the user's later rows move on.
   */
  async skip(actor: string, id: string, dto: SkipOutboxDto): Promise<SkipResult> {
    const skipId = uuidv7();
    const row = await this.dataSource.transaction(async (manager) => {
      const skipped = await this.repository.skipDead(manager, { id, skipId, actor, reason: dto.reason.trim() });
      if (skipped) await this.repository.notifyRelays(manager);
      return skipped;
    });
    if (!row) throw await this.notDead(id, 'skipped');
    this.logger.log({ msg: 'outbox dead row skipped', id, event_id: row.event_id, actor, skip_id: skipId });
    return { skip_id: skipId, row: toResponse(row) };
  }

  private async notDead(id: string, action: 'retried' | 'skipped'): Promise<DomainError> {
    const existing = await this.repository.findById(this.dataSource.manager, id);
    if (!existing) {
      return new DomainError(ErrorCode.OutboxEventNotFound, `outbox row ${id} not found`, [
        { field: 'id', problem: 'no such outbox row (it may have expired)' },
      ]);
    }
    return new DomainError(ErrorCode.OutboxEventNotDead, `outbox row ${id} is ${existing.status}, not dead`, [
      { field: 'id', problem: `only dead rows can be ${action}; this one is ${existing.status}` },
    ]);
  }

  async retry(actor: string, id: string): Promise<OutboxRowResponse> {
    const row = await this.dataSource.transaction(async (manager) => {
      const retried = await this.repository.retryDead(manager, id);
      if (retried) await this.repository.notifyRelays(manager);
      return retried;
    });
    if (!row) throw await this.notDead(id, 'retried');
    this.logger.log({ msg: 'outbox dead row retried', id, event_id: row.event_id, actor });
    return toResponse(row);
  }
}

/** Both ends given and lower > upper: a 400 naming the lower end. */
function checkRange([lower, upper]: [{ field: string; value?: number | '' }, { field: string; value?: number | '' }]): void {
  if (typeof lower.value === 'number' && typeof upper.value === 'number' && lower.value > upper.value) {
    const details: ErrorDetail[] = [{ field: lower.field, problem: `must not be greater than ${upper.field}` }];
    throw DomainError.validation(details, `${lower.field}: must not be greater than ${upper.field}`);
  }
}

function replayFilterRecord(dto: ReplayOutboxDto): Record<string, unknown> {
  const { dry_run: _dryRun, ...filter } = dto;
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
}

export function toResponse(row: OutboxRowRecord): OutboxRowResponse {
  return {
    id: Number(row.id),
    event_id: row.event_id,
    event_type: row.event_type,
    user_id: row.partition_key,
    shard: row.shard,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at,
    last_error: row.last_error,
    created_at: row.created_at,
    published_at: row.published_at,
    headers: row.headers,
    payload: row.payload,
  };
}
