import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import { SUMS_SELECT } from './usage-sums';
import { filterConditions, rangeColumns, UsageFilter, usageIn } from './usage-source';

export type Interval = 'hour' | 'day' | 'week' | 'month';
export type SummaryGroup = 'model' | 'reason' | 'conversation' | 'user' | 'source' | 'channel' | 'operation' | 'task_kind' | 'org' | 'project' | 'api_key';

export interface TotalsRow {
  [column: string]: string | null;
}

export interface EntryRow {
  event_id: string;
  event_type: string;
  event_version: number;
  source: string;
  user_id: string;
  conversation_id: string | null;
  message_id: string | null;
  role: string | null;
  model: string | null;
  reason: string;
  tokens_delta: string;
  prompt_tokens: string;
  completion_tokens: string;
  cached_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  total_tokens: string;
  cost_micros: string | null;
  unpriced: number;
  price_effective_from: string | null;
  corrects_event_id: string | null;
  channel: string | null;
  operation: string | null;
  task_id: string | null;
  task_kind: string | null;
  org_id: string | null;
  project_id: string | null;
  api_key_id: string | null;
  occurred_at: string;
  effective_at: string;
  applied_at: string;
}

export interface BucketRow extends Record<string, unknown> {
  start: string;
  end: string;
  local_start: string;
  offset_seconds: number;
}

const TOTAL_COLUMNS = `tokens_total::text, messages_counted::text, adjustments_count::text, adjustments_total::text, events_count::text,
  prompt_tokens::text, completion_tokens::text, cached_tokens::text, cache_write_tokens::text, reasoning_tokens::text, total_tokens::text,
  cost_micros::text, unpriced_events::text,
  ${rfc3339('first_activity_at')} AS first_activity_at, ${rfc3339('last_activity_at')} AS last_activity_at, ${rfc3339('updated_at')} AS updated_at`;

const GROUP_COLUMN: Record<SummaryGroup, string> = {
  model: 'model',
  reason: 'reason',
  conversation: 'conversation_id',
  user: 'user_id',
  source: 'source',
  channel: 'channel',
  operation: 'operation',
  task_kind: 'task_kind',
  org: 'org_id',
  project: 'project_id',
  api_key: 'api_key_id',
};

/**
 * Buckets of an interval in a time zone, as rows (start, end) clipped to [from, to): $1 from, $2 to,
 * $3 time zone. Days, weeks and months step in local wall time and are converted back, so a DST day is 23 or
 * 25 hours long.
 *
 * An hour bucket is one local hour at one UTC offset: the instants whose local time shows the same hour with
 * the same offset. A fall-back night therefore has the repeated hour twice (02:00+02:00, then 02:00+01:00), and
 * in a zone whose clocks move by 30 minutes (Australia/Lord_Howe) the hour of the change is split where the
 * offset changes (01:00+11:00 for 60 minutes, then 01:30+10:30 for 30). Offsets and changes fall on quarter
 * hours everywhere, so scanning [from, to) in 15-minute steps finds every boundary.
 */
function bucketsSql(interval: Interval): string {
  if (interval === 'hour') {
    // A boundary is a quarter hour whose (local hour, offset) differs from the quarter hour before it; the
    // window runs after WHERE, so lead() pairs each boundary with the next one.
    return `SELECT start, "end" FROM (
              SELECT g AS start, lead(g) OVER (ORDER BY g) AS "end"
                FROM (SELECT g, key, lag(key) OVER (ORDER BY g) AS prev
                        FROM (SELECT g, date_trunc('hour', g AT TIME ZONE $3)::text || '/' || (g AT TIME ZONE $3 - g AT TIME ZONE 'UTC')::text AS key
                                FROM generate_series(date_trunc('hour', $1::timestamptz) - interval '2 hours', $2::timestamptz + interval '2 hours',
                                                     interval '15 minutes') g) k) c
               WHERE prev IS DISTINCT FROM key) b
             WHERE "end" IS NOT NULL AND "end" > $1::timestamptz AND start < $2::timestamptz`;
  }
  return `SELECT l AT TIME ZONE $3 AS start, (l + interval '1 ${interval}') AT TIME ZONE $3 AS "end"
            FROM generate_series(date_trunc('${interval}', $1::timestamptz AT TIME ZONE $3), $2::timestamptz AT TIME ZONE $3, interval '1 ${interval}') l
           WHERE l AT TIME ZONE $3 < $2::timestamptz`;
}

@Injectable()
export class UsageReadRepository {
  private timeZones?: Set<string>;

  /** Names PostgreSQL knows (pg_timezone_names), loaded once. */
  async isKnownTimeZone(manager: EntityManager, tz: string): Promise<boolean> {
    if (!this.timeZones) {
      const rows: Array<{ name: string }> = await manager.query(`SELECT name FROM pg_timezone_names`);
      this.timeZones = new Set(rows.map((r) => r.name));
    }
    return this.timeZones.has(tz);
  }

  async userTotals(manager: EntityManager, userId: string): Promise<TotalsRow | undefined> {
    const [row] = await manager.query(`SELECT user_id, org_id, ${TOTAL_COLUMNS} FROM ledger.user_totals WHERE user_id = $1`, [userId]);
    return row;
  }

  /** The organisation the ledger counts a user's balance in (null: none, or no such user). */
  async userOrg(manager: EntityManager, userId: string): Promise<string | null> {
    const [row] = await manager.query(`SELECT org_id FROM ledger.user_totals WHERE user_id = $1`, [userId]);
    return row?.org_id ?? null;
  }

  async conversationTotals(manager: EntityManager, conversationId: string): Promise<TotalsRow | undefined> {
    const [row] = await manager.query(
      `SELECT conversation_id, user_id, org_id, project_id, ${TOTAL_COLUMNS} FROM ledger.conversation_totals WHERE conversation_id = $1`,
      [conversationId],
    );
    return row;
  }

  /** All-time breakdown of one conversation by reason or model, from the rollup. */
  async conversationBreakdown(manager: EntityManager, conversationId: string, by: 'reason' | 'model'): Promise<Array<Record<string, string | null>>> {
    return manager.query(
      `SELECT u.${by}, ${SUMS_SELECT} FROM ledger.usage_hourly u WHERE u.conversation_id = $1
        GROUP BY u.${by} ORDER BY sum(u.tokens_delta) DESC, u.${by} NULLS LAST`,
      [conversationId],
    );
  }

  /** Newest first, keyset-paginated on (effective_at, event_id). */
  /** Where the journal's complete part begins (journal retention folds older entries); null when nothing was folded. */
  async journalCompleteFrom(manager: EntityManager): Promise<string | null> {
    const rows: Array<{ complete_from: string }> = await manager.query(
      `SELECT to_char(complete_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS complete_from FROM ledger.journal_horizon`,
    );
    return rows[0]?.complete_from ?? null;
  }

  async entries(
    manager: EntityManager,
    filter: UsageFilter & { from?: string; to?: string },
    after: { effectiveAt: string; eventId: string } | undefined,
    limit: number,
  ): Promise<EntryRow[]> {
    const params: unknown[] = [];
    const p = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = filterConditions(filter, p).map((c) => c.replace(/\{t\}\./g, ''));
    if (filter.from) where.push(`effective_at >= ${p(filter.from)}::timestamptz`);
    if (filter.to) where.push(`effective_at < ${p(filter.to)}::timestamptz`);
    if (after) where.push(`(effective_at, event_id) < (${p(after.effectiveAt)}::timestamptz, ${p(after.eventId)}::uuid)`);
    return manager.query(
      `SELECT event_id, event_type, event_version, source, user_id, conversation_id, message_id, role, model, reason,
              tokens_delta::text, prompt_tokens::text, completion_tokens::text, cached_tokens::text, cache_write_tokens::text,
              reasoning_tokens::text, total_tokens::text, cost_micros::text, unpriced, ${rfc3339('price_effective_from')} AS price_effective_from,
              corrects_event_id, channel, operation, task_id, task_kind, org_id, project_id, api_key_id,
              ${rfc3339('occurred_at')} AS occurred_at, ${rfc3339('effective_at')} AS effective_at, ${rfc3339('applied_at')} AS applied_at
         FROM ledger.entries
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY effective_at DESC, event_id DESC
        LIMIT ${p(limit)}`,
      params,
    );
  }

  /** Sums per group over [from, to); null bounds are open. */
  async summary(
    manager: EntityManager,
    usage: UsageFilter,
    groupBy: SummaryGroup,
    from: string | undefined,
    to: string | undefined,
  ): Promise<Array<Record<string, string | null>>> {
    const params: unknown[] = [from ?? '-infinity', to ?? 'infinity'];
    const filter = filterConditions(usage, (v) => `$${params.push(v)}`);
    const column = GROUP_COLUMN[groupBy];
    return manager.query(
      `WITH range AS ${rangeColumns(`(SELECT $1::timestamptz AS s, $2::timestamptz AS e)`)}
       SELECT u.${column} AS key, ${SUMS_SELECT}
         FROM range CROSS JOIN LATERAL ${usageIn('range', filter)} u
        GROUP BY u.${column}
        ORDER BY sum(u.tokens_delta) DESC, u.${column} NULLS LAST`,
      params,
    );
  }

  /** Journal time span of a scope (to bound day groupings when from/to are omitted). */
  async span(manager: EntityManager, usage: UsageFilter): Promise<{ first: string | null; end: string | null }> {
    const params: unknown[] = [];
    const where = filterConditions(usage, (v) => `$${params.push(v)}`).map((c) => c.replace(/\{t\}\./g, ''));
    const [row] = await manager.query(
      `SELECT ${rfc3339('min(effective_at)')} AS first, ${rfc3339("(max(effective_at) + interval '1 microsecond')")} AS end
         FROM ledger.entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return row;
  }

  async countBuckets(manager: EntityManager, interval: Interval, from: string, to: string, tz: string, cap: number): Promise<number> {
    // Hours cannot be fewer than the range's length in hours minus the DST hours: refuse long ranges before scanning them.
    if (interval === 'hour' && (Date.parse(to) - Date.parse(from)) / 3_600_000 > cap + 2) return cap + 1;
    const [row] = await manager.query(`SELECT count(*)::int AS n FROM (${bucketsSql(interval)} LIMIT ${cap + 1}) b`, [from, to, tz]);
    return row.n;
  }

  /** Every bucket of [from, to) in the time zone, empty ones included, with its sums. */
  async timeline(manager: EntityManager, usage: UsageFilter, interval: Interval, from: string, to: string, tz: string): Promise<BucketRow[]> {
    const params: unknown[] = [from, to, tz];
    const filter = filterConditions(usage, (v) => `$${params.push(v)}`);
    return manager.query(
      `WITH buckets AS (${bucketsSql(interval)}),
            ranges AS ${rangeColumns(`(SELECT b.start, b."end", greatest(b.start, $1::timestamptz) AS s, least(b."end", $2::timestamptz) AS e FROM buckets b)`)}
       SELECT ${rfc3339('r.start')} AS start, ${rfc3339('r."end"')} AS "end",
              to_char(r.start AT TIME ZONE $3, 'YYYY-MM-DD"T"HH24:MI:SS') AS local_start,
              extract(epoch FROM (r.start AT TIME ZONE $3) - (r.start AT TIME ZONE 'UTC'))::int AS offset_seconds,
              x.*
         FROM ranges r
        CROSS JOIN LATERAL (SELECT ${SUMS_SELECT} FROM ${usageIn('r', filter)} u) x
        ORDER BY r.start`,
      params,
    );
  }

  /** [from, to) of the last `days` local days including today, in the time zone. */
  async lastDays(manager: EntityManager, days: number, tz: string): Promise<{ from: string; to: string }> {
    const [row] = await manager.query(
      `SELECT ${rfc3339('((d - make_interval(days => $1::int - 1)) AT TIME ZONE $2)')} AS from,
              ${rfc3339("((d + interval '1 day') AT TIME ZONE $2)")} AS to
         FROM (SELECT date_trunc('day', now() AT TIME ZONE $2) AS d) t`,
      [days, tz],
    );
    return row;
  }

  async sessions(
    manager: EntityManager,
    filter: { userId: string | null; orgId?: string; projectId?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: TotalsRow[]; total: number }> {
    const base: unknown[] = [];
    const conditions: string[] = [];
    if (filter.userId !== null) conditions.push(`user_id = $${base.push(filter.userId)}`);
    if (filter.orgId !== undefined) conditions.push(`org_id = $${base.push(filter.orgId)}`);
    if (filter.projectId !== undefined) conditions.push(`project_id = $${base.push(filter.projectId)}`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const [rows, [{ total }]] = await Promise.all([
      manager.query(
        `SELECT conversation_id, user_id, org_id, project_id, ${TOTAL_COLUMNS} FROM ledger.conversation_totals ${where}
          ORDER BY last_activity_at DESC NULLS LAST, conversation_id
          LIMIT $${base.length + 1} OFFSET $${base.length + 2}`,
        [...base, limit, offset],
      ),
      manager.query(`SELECT count(*)::int AS total FROM ledger.conversation_totals ${where}`, base),
    ]);
    return { rows, total };
  }
}
