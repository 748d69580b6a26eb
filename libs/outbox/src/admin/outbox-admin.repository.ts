import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import { readRelayLeases, RelayLease } from '../outbox-locks';
import type { OutboxSort, OutboxStatus } from './dto/list-outbox.query.dto';
import type { HeldUser } from './dto/outbox.response';

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
  /** Only pending rows with an earlier dead or retrying row of their user. */
  held?: boolean;
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

/** A row that holds back its user's later rows: the relay's claim (relay-store.ts) uses the same rule. */
const BLOCKING = `(b.status = 'dead' OR (b.status = 'pending' AND b.attempts > 0 AND b.next_attempt_at > now()))`;

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
    const extra = filter.held
      ? [`status = 'pending'`, `EXISTS (SELECT 1 FROM outbox.events b WHERE b.partition_key = o.partition_key AND b.id < o.id AND ${BLOCKING})`]
      : [];
    const ascending = filter.sort === 'id';
    c.add((p) => (ascending ? `id > ${p}::bigint` : `id < ${p}::bigint`), filter.afterId);
    c.params.push(filter.limit);
    return manager.query(
      `SELECT ${COLUMNS} FROM outbox.events o ${c.where(extra)} ORDER BY id ${ascending ? 'ASC' : 'DESC'} LIMIT $${c.params.length}`,
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

  /** Users held back (the same rule as the relay's claim), oldest blocking row first. */
  async heldUsers(manager: EntityManager, limit: number): Promise<{ count: number; users: HeldUser[] }> {
    const rows: Array<HeldUser & { total: number }> = await manager.query(
      `WITH first_blocked AS (
         SELECT DISTINCT ON (partition_key) id, event_id, partition_key, status, attempts, last_error, next_attempt_at
           FROM outbox.events b WHERE ${BLOCKING}
          ORDER BY partition_key, id
       )
       SELECT f.partition_key AS user_id, f.id::int AS blocking_id, f.event_id AS blocking_event_id, f.status AS blocking_status,
              f.attempts, f.last_error, ${rfc3339('f.next_attempt_at')} AS next_attempt_at,
              (SELECT count(*) FROM outbox.events w WHERE w.partition_key = f.partition_key AND w.status = 'pending' AND w.id > f.id)::int AS waiting,
              count(*) OVER ()::int AS total
         FROM first_blocked f
        ORDER BY f.id
        LIMIT $1`,
      [limit],
    );
    return { count: rows[0]?.total ?? 0, users: rows.map(({ total: _total, ...user }) => user) };
  }

  /** Dead → skipped, audited; undefined when the row is not dead. Releases the later rows of its user. */
  async skipDead(manager: EntityManager, skip: { id: string; skipId: string; actor: string; reason: string }): Promise<OutboxRowRecord | undefined> {
    const [rows] = await manager.query(`UPDATE outbox.events SET status = 'skipped' WHERE id = $1::bigint AND status = 'dead' RETURNING ${COLUMNS}`, [skip.id]);
    const row = rows[0] as OutboxRowRecord | undefined;
    if (row) {
      await manager.query(`INSERT INTO outbox.skips (id, outbox_id, event_id, actor, reason) VALUES ($1, $2, $3, $4, $5)`, [
        skip.skipId,
        skip.id,
        row.event_id,
        skip.actor,
        skip.reason,
      ]);
    }
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
    const [row] = await manager.query(`SELECT count(*)::int AS n FROM outbox.events ${c.where([`status IN ('published', 'dead', 'skipped')`])}`, c.params);
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
        ${c.where([`status IN ('published', 'dead', 'skipped')`])}`,
      c.params,
    );
    return affected;
  }

  async recordReplay(manager: EntityManager, replay: { id: string; actor: string; filter: Record<string, unknown>; matched: number }): Promise<void> {
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

  /**
   * Wakes the relays at once (the insert trigger only fires on new rows). Delivered at commit, on the channel the
   * trigger uses: `<the outbox's schema>_events`.
   */
  async notifyRelays(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_notify(relnamespace::regnamespace::text || '_events', '') FROM pg_class WHERE oid = 'outbox.events'::regclass`);
  }
}
