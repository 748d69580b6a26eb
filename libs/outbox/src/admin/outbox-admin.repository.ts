import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import { readRelayLeases, RelayLease } from '../outbox-locks';
import type { OutboxSort, OutboxStatus } from './dto/list-outbox.query.dto';

export interface OutboxRowRecord {
  id: string;
  event_id: string;
  event_type: string;
  partition_key: string;
  shard: number;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  published_at: string | null;
  headers: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface OutboxListFilter {
  status?: OutboxStatus;
  eventType?: string;
  userId?: string;
  from?: string;
  to?: string;
  sort: OutboxSort;
  /** Keyset: rows after this id in the sort direction. */
  afterId?: string;
  limit: number;
}

export interface OutboxReplayFilter {
  fromId?: number;
  toId?: number;
  from?: string;
  to?: string;
  eventTypes?: string[];
  userIds?: string[];
}

export interface OutboxCounts {
  pending: number;
  retrying: number;
  oldest_pending_age_seconds: number | null;
  dead: number;
  published_last_minute: number;
}

const COLUMNS = `id, event_id, event_type, partition_key, shard, status, attempts,
  ${rfc3339('next_attempt_at')} AS next_attempt_at, last_error, ${rfc3339('created_at')} AS created_at,
  ${rfc3339('published_at')} AS published_at, headers, payload`;

/** Builds `AND`-ed conditions with numbered parameters. */
class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  add(sql: (p: string) => string, value: unknown): void {
    if (value === undefined) return;
    this.params.push(value);
    this.clauses.push(sql(`$${this.params.length}`));
  }
  where(extra: string[] = []): string {
    const all = [...extra, ...this.clauses];
    return all.length ? `WHERE ${all.join(' AND ')}` : '';
  }
}

/** Operator queries on outbox.events (the relay itself lives in libs/outbox). */
@Injectable()
export class OutboxAdminRepository {
  async list(manager: EntityManager, filter: OutboxListFilter): Promise<OutboxRowRecord[]> {
    const c = new Conditions();
    c.add((p) => `status = ${p}`, filter.status);
    c.add((p) => `event_type = ${p}`, filter.eventType);
    c.add((p) => `partition_key = ${p}`, filter.userId);
    c.add((p) => `created_at >= ${p}::timestamptz`, filter.from);
    c.add((p) => `created_at <= ${p}::timestamptz`, filter.to);
    const ascending = filter.sort === 'id';
    c.add((p) => (ascending ? `id > ${p}::bigint` : `id < ${p}::bigint`), filter.afterId);
    c.params.push(filter.limit);
    return manager.query(
      `SELECT ${COLUMNS} FROM outbox.events ${c.where()} ORDER BY id ${ascending ? 'ASC' : 'DESC'} LIMIT $${c.params.length}`,
      c.params,
    );
  }

  async findById(manager: EntityManager, id: string): Promise<OutboxRowRecord | undefined> {
    const [row] = await manager.query(`SELECT ${COLUMNS} FROM outbox.events WHERE id = $1::bigint`, [id]);
    return row;
  }

  async counts(manager: EntityManager): Promise<OutboxCounts> {
    const [row] = await manager.query(`
      SELECT (SELECT count(*) FROM outbox.events WHERE status = 'pending')::int AS pending,
             (SELECT count(*) FROM outbox.events WHERE status = 'pending' AND attempts > 0)::int AS retrying,
             (SELECT round(EXTRACT(EPOCH FROM (now() - created_at)), 3)::float8 FROM outbox.events
               WHERE status = 'pending' ORDER BY id LIMIT 1) AS oldest_pending_age_seconds,
             (SELECT count(*) FROM outbox.events WHERE status = 'dead')::int AS dead,
             (SELECT count(*) FROM outbox.events
               WHERE status = 'published' AND published_at > now() - interval '1 minute')::int AS published_last_minute`);
    return row;
  }

  relayLeases(manager: EntityManager): Promise<RelayLease[]> {
    return readRelayLeases(manager);
  }

  private replayConditions(filter: OutboxReplayFilter): Conditions {
    const c = new Conditions();
    c.add((p) => `id >= ${p}::bigint`, filter.fromId);
    c.add((p) => `id <= ${p}::bigint`, filter.toId);
    c.add((p) => `created_at >= ${p}::timestamptz`, filter.from);
    c.add((p) => `created_at <= ${p}::timestamptz`, filter.to);
    c.add((p) => `event_type = ANY(${p}::text[])`, filter.eventTypes);
    c.add((p) => `partition_key = ANY(${p}::text[])`, filter.userIds);
    return c;
  }

  /** Rows a replay would publish again: retained ones that are not pending anyway. */
  async countReplayable(manager: EntityManager, filter: OutboxReplayFilter): Promise<number> {
    const c = this.replayConditions(filter);
    const [row] = await manager.query(
      `SELECT count(*)::int AS n FROM outbox.events ${c.where([`status IN ('published', 'dead')`])}`,
      c.params,
    );
    return row.n;
  }

  /**
   * Sets the matched rows back to pending, keeping their ids, event ids and payloads: the relay publishes
   * them again in id order per shard (the ledger dedups by event id). One statement, so a replay is
   * all-or-nothing.
   */
  async markForReplay(manager: EntityManager, filter: OutboxReplayFilter): Promise<number> {
    const c = this.replayConditions(filter);
    const [, affected] = await manager.query(
      `UPDATE outbox.events SET status = 'pending', attempts = 0, next_attempt_at = now(), published_at = NULL
        ${c.where([`status IN ('published', 'dead')`])}`,
      c.params,
    );
    return affected;
  }

  async recordReplay(
    manager: EntityManager,
    replay: { id: string; actor: string; filter: Record<string, unknown>; matched: number },
  ): Promise<void> {
    await manager.query(`INSERT INTO outbox.replays (id, actor, filter, matched) VALUES ($1, $2, $3, $4)`, [
      replay.id,
      replay.actor,
      JSON.stringify(replay.filter),
      replay.matched,
    ]);
  }

  /** Dead → pending with a fresh attempt budget (last_error kept). Undefined when the row is not dead. */
  async retryDead(manager: EntityManager, id: string): Promise<OutboxRowRecord | undefined> {
    const [rows] = await manager.query(
      `UPDATE outbox.events SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE id = $1::bigint AND status = 'dead'
        RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0];
  }

  /** Wakes the relays at once (the insert trigger only fires on new rows). Delivered at commit. */
  async notifyRelays(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_notify('outbox_events', '')`);
  }
}
