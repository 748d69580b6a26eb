import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TokenUsageV2 } from '@chat-ledger/contracts';
import { rfc3339 } from '@chat-ledger/database';
import { LedgerPresence } from '../ledger-totals/ledger-presence';
import type { RunningSort } from './dto/list-running-tasks.query.dto';

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TaskRow {
  task_id: string;
  source: string;
  external_id: string;
  kind: string;
  user_id: string;
  conversation_id: string | null;
  client_id: string | null;
  /** The task's tenant, fixed when it was created: its usage counts there. */
  org_id: string | null;
  project_id: string | null;
  api_key_id: string | null;
  total_items: number | null;
  processed_items: number;
  metadata: Record<string, unknown> | null;
  status: TaskStatus;
  progress: number;
  message: string | null;
  created_by: string;
  completed_by: string | null;
  created_at: string;
  started_at: string | null;
  last_update_at: string;
  completed_at: string | null;
  estimated_completion_at: string | null;
  stalled: boolean;
  error: string | null;
  model: string | null;
  usage: TokenUsageV2 | null;
  request_digest: string;
  completion_digest: string | null;
  completion_event_id: string | null;
  /** The ledger's count for the task so far (0 until it applied something of it). */
  tokens: number;
  cost_micros: number | null;
  unpriced_events: number;
}

const OPEN = `t.status IN ('pending', 'running')`;

/** Columns of a task as the API shows it; `$stall` is the stall window in milliseconds. */
function columns(stall: string, withLedger: boolean): string {
  return `t.id AS task_id, t.source, t.external_id, t.kind, t.user_id, t.conversation_id, t.client_id, t.org_id, t.project_id, t.api_key_id,
    t.total_items::float8 AS total_items, t.processed_items::float8 AS processed_items, t.metadata, t.status, t.progress::int AS progress,
    t.message, t.created_by, t.completed_by, ${rfc3339('t.created_at')} AS created_at, ${rfc3339('t.started_at')} AS started_at,
    ${rfc3339('t.last_update_at')} AS last_update_at, ${rfc3339('t.completed_at')} AS completed_at,
    -- From the task's own rate so far: started_at + elapsed × 100 / progress.
    CASE WHEN t.status = 'running' AND t.progress > 0 AND t.progress < 100 AND t.started_at IS NOT NULL
         THEN ${rfc3339(`(t.started_at + (now() - t.started_at) * (100.0 / t.progress)::float8)`)} END AS estimated_completion_at,
    (${OPEN} AND t.last_update_at < now() - ${stall}::bigint * interval '1 millisecond') AS stalled,
    t.error, t.model, t.usage, t.request_digest, t.completion_digest, t.completion_event_id,
    ${withLedger ? 'coalesce(u.tokens_total, 0)::float8' : '0::float8'} AS tokens,
    ${withLedger ? 'CASE WHEN u.task_id IS NULL THEN NULL ELSE u.cost_micros::float8 END' : 'NULL::float8'} AS cost_micros,
    ${withLedger ? 'coalesce(u.unpriced_events, 0)::float8' : '0::float8'} AS unpriced_events`;
}

/**
 * The ledger's counts of each task shown. LATERAL with OFFSET 0 (which keeps the planner from flattening it back
 * into a join), so the task's id reaches the view's GROUP BY and each task aggregates only its own entries
 * (entries_task_idx); a plain join on the view had the planner aggregate every task's entries on each list page
 * (200,000 entries of earlier tasks: ~240 ms per page, see docs/performance.md).
 */
const ledgerJoin = (withLedger: boolean) =>
  withLedger
    ? 'LEFT JOIN LATERAL (SELECT v.task_id, v.tokens_total, v.cost_micros, v.unpriced_events FROM ledger.task_usage_view v WHERE v.task_id = t.id OFFSET 0) u ON true'
    : '';

const SORTS: Record<RunningSort, { key: string; direction: 'ASC' | 'DESC'; time: boolean }> = {
  '-started_at': { key: 'coalesce(t.started_at, t.created_at)', direction: 'DESC', time: true },
  started_at: { key: 'coalesce(t.started_at, t.created_at)', direction: 'ASC', time: true },
  '-last_update_at': { key: 't.last_update_at', direction: 'DESC', time: true },
  progress: { key: 't.progress', direction: 'ASC', time: false },
};

export interface RunningFilter {
  statuses: string[];
  kind?: string;
  userId?: string;
  clientId?: string;
  stalled?: boolean;
  /** Only this organisation's tasks (a token naming one sees no other). */
  orgId?: string;
}

@Injectable()
export class TasksRepository {
  private readonly ledger = new LedgerPresence(`to_regclass('ledger.task_usage_view') IS NOT NULL`);

  async insert(
    manager: EntityManager,
    t: {
      id: string;
      source: string;
      externalId: string;
      kind: string;
      userId: string;
      conversationId: string | null;
      clientId: string | null;
      totalItems: number | null;
      metadata: unknown;
      createdBy: string;
      digest: string;
      tenant: { org_id: string | null; project_id: string | null; api_key_id: string | null };
    },
  ): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO chat.tasks (id, source, external_id, kind, user_id, conversation_id, client_id, total_items, metadata, created_by, request_digest,
                               org_id, project_id, api_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (source, external_id) DO NOTHING RETURNING 1`,
      [
        t.id,
        t.source,
        t.externalId,
        t.kind,
        t.userId,
        t.conversationId,
        t.clientId,
        t.totalItems,
        t.metadata === null ? null : JSON.stringify(t.metadata),
        t.createdBy,
        t.digest,
        t.tenant.org_id,
        t.tenant.project_id,
        t.tenant.api_key_id,
      ],
    );
    return rows.length > 0;
  }

  async find(
    manager: EntityManager,
    where: { id: string } | { source: string; externalId: string },
    stallMs: number,
    lock = false,
  ): Promise<TaskRow | undefined> {
    // FOR UPDATE locks the task row only (OF t): the ledger's view is an aggregate and cannot be locked.
    const withLedger = !lock && (await this.ledger.has(manager));
    const [condition, params] = 'id' in where ? ['t.id = $2', [where.id]] : ['t.source = $2 AND t.external_id = $3', [where.source, where.externalId]];
    const [row] = await manager.query(
      `SELECT ${columns('$1', withLedger)} FROM chat.tasks t ${ledgerJoin(withLedger)} WHERE ${condition} ${lock ? 'FOR UPDATE OF t' : ''}`,
      [stallMs, ...params],
    );
    return row;
  }

  /**
   * The common heartbeat in one statement: the update happens only if every rule holds (the caller created the
   * task, it is still open, progress and items only grow, items within the total), and the task comes back as
   * the API shows it. Under READ COMMITTED the UPDATE re-checks its WHERE on the row's latest version once it
   * holds the row lock, so two racing heartbeats cannot move progress backwards. No row: some rule failed (or
   * there is no such task) and the caller finds out which on the locked path, which makes the same checks.
   */
  async heartbeatIfAllowed(
    manager: EntityManager,
    id: string,
    u: { createdBy: string; start: boolean; progress?: number; processedItems?: number; message?: string },
    stallMs: number,
  ): Promise<TaskRow | undefined> {
    const withLedger = await this.ledger.has(manager);
    const [row] = await manager.query(
      `WITH t AS (
         UPDATE chat.tasks SET last_update_at = now(),
                status = CASE WHEN $3::boolean AND status = 'pending' THEN 'running' ELSE status END,
                started_at = CASE WHEN $3::boolean AND status = 'pending' THEN coalesce(started_at, now()) ELSE started_at END,
                progress = coalesce($4::smallint, progress), processed_items = coalesce($5::bigint, processed_items), message = coalesce($6::text, message)
          WHERE id = $2 AND created_by = $7 AND status IN ('pending', 'running')
            AND ($4::smallint IS NULL OR $4::smallint >= progress)
            AND ($5::bigint IS NULL OR ($5::bigint >= processed_items AND (total_items IS NULL OR $5::bigint <= total_items)))
          RETURNING *)
       SELECT ${columns('$1', withLedger)} FROM t ${ledgerJoin(withLedger)}`,
      [stallMs, id, u.start, u.progress ?? null, u.processedItems ?? null, u.message ?? null, u.createdBy],
    );
    return row;
  }

  async heartbeat(manager: EntityManager, id: string, u: { start: boolean; progress?: number; processedItems?: number; message?: string }): Promise<void> {
    await manager.query(
      `UPDATE chat.tasks SET last_update_at = now(),
              status = CASE WHEN $2::boolean THEN 'running' ELSE status END,
              started_at = CASE WHEN $2::boolean THEN coalesce(started_at, now()) ELSE started_at END,
              progress = coalesce($3::smallint, progress), processed_items = coalesce($4::bigint, processed_items), message = coalesce($5::text, message)
        WHERE id = $1`,
      [id, u.start, u.progress ?? null, u.processedItems ?? null, u.message ?? null],
    );
  }

  async complete(
    manager: EntityManager,
    id: string,
    c: { outcome: string; error: string | null; model: string | null; usage: TokenUsageV2 | null; digest: string; eventId: string; actor: string },
  ): Promise<void> {
    await manager.query(
      `UPDATE chat.tasks SET status = $2::text, error = $3, model = $4, usage = $5, completion_digest = $6, completion_event_id = $7, completed_by = $8,
              completed_at = now(), last_update_at = now(), started_at = coalesce(started_at, now()),
              progress = CASE WHEN $2::text = 'succeeded' THEN 100 ELSE progress END
        WHERE id = $1`,
      [id, c.outcome, c.error, c.model, c.usage === null ? null : JSON.stringify(c.usage), c.digest, c.eventId, c.actor],
    );
  }

  async stalledCount(manager: EntityManager, stallMs: number): Promise<number> {
    const [row] = await manager.query(
      `SELECT count(*)::int AS n FROM chat.tasks t WHERE ${OPEN} AND t.last_update_at < now() - $1::bigint * interval '1 millisecond'`,
      [stallMs],
    );
    return row.n;
  }

  /** One page of open tasks by the sort, plus the counts of every task the filter matches. */
  async running(
    manager: EntityManager,
    filter: RunningFilter,
    sort: RunningSort,
    after: { value: string | number; id: string } | undefined,
    limit: number,
    stallMs: number,
  ): Promise<{ total: number; byStatus: Record<string, number>; byKind: Record<string, number>; rows: TaskRow[] }> {
    const withLedger = await this.ledger.has(manager);
    const params: unknown[] = [stallMs];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = [`t.status = ANY(${p(filter.statuses)}::text[])`];
    if (filter.kind) where.push(`t.kind = ${p(filter.kind)}`);
    if (filter.userId) where.push(`t.user_id = ${p(filter.userId)}`);
    if (filter.clientId) where.push(`t.client_id = ${p(filter.clientId)}`);
    if (filter.orgId !== undefined) where.push(`t.org_id = ${p(filter.orgId)}`);
    if (filter.stalled !== undefined) where.push(`(t.last_update_at < now() - $1::bigint * interval '1 millisecond') = ${p(filter.stalled)}`);
    const s = SORTS[sort];
    const pageWhere = [...where];
    if (after) {
      const value = s.time ? `${p(after.value)}::timestamptz` : `${p(after.value)}::int`;
      pageWhere.push(`(${s.key}, t.id) ${s.direction === 'DESC' ? '<' : '>'} (${value}, ${p(after.id)}::uuid)`);
    }
    const [result] = await manager.query(
      `WITH matched AS (SELECT t.status, t.kind FROM chat.tasks t WHERE ${where.join(' AND ')}),
            page AS (
              SELECT ${columns('$1', withLedger)}, ${s.time ? rfc3339(`(${s.key})`) : s.key} AS sort_value
                FROM chat.tasks t ${ledgerJoin(withLedger)}
               WHERE ${pageWhere.join(' AND ')}
               ORDER BY ${s.key} ${s.direction}, t.id ${s.direction}
               LIMIT ${p(limit + 1)})
       SELECT (SELECT count(*)::int FROM matched) AS total,
              coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM matched GROUP BY 1) x), '{}'::jsonb) AS by_status,
              coalesce((SELECT jsonb_object_agg(kind, n) FROM (SELECT kind, count(*)::int AS n FROM matched GROUP BY 1) y), '{}'::jsonb) AS by_kind,
              coalesce((SELECT jsonb_agg(to_jsonb(page) ORDER BY page.sort_value ${s.direction}, page.task_id ${s.direction}) FROM page), '[]'::jsonb) AS rows`,
      params,
    );
    return { total: result.total, byStatus: result.by_status, byKind: result.by_kind, rows: result.rows };
  }
}
