import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CHAT_MESSAGE_RECORDED, TASK_COMPLETED, TOKENS_ADJUSTED, USAGE_UPSERTED } from '@chat-ledger/contracts';
import { rfc3339 } from '@chat-ledger/database';
import { OUTBOX_USER_EVENTS_SQL, OutboxLock } from '@chat-ledger/outbox';
import { LedgerPresence } from '../ledger-totals/ledger-presence';
import type { PutBudgetDto } from './dto/put-budget.dto';

export interface BudgetRow {
  user_id: string;
  period: 'day' | 'week' | 'month';
  tz: string;
  mode: 'hard' | 'soft';
  limit_tokens: number | null;
  limit_cost_micros: number | null;
  round_reservation_tokens: number;
  updated_at: string;
}

/** A budget with its current period and what has been spent and reserved in it, as of this transaction. */
export interface BudgetState extends BudgetRow {
  period_start: string;
  period_end: string;
  period_start_local: string;
  period_end_local: string;
  used_tokens: number;
  used_cost_micros: number;
  reserved_tokens: number;
  reserved_cost_micros: number;
  /** The earliest expiry of an open reservation (room may free up then), null without any. */
  first_reservation_expiry: string | null;
}

/**
 * Events that spend, and what each adds while it waits in the outbox: tokens_delta (messages, adjustments,
 * task completions), or for a usage record the difference its revision makes (data.delta); their time is when
 * the tokens were spent, as in the ledger.
 */
const SPEND_TYPES = [CHAT_MESSAGE_RECORDED, TOKENS_ADJUSTED, TASK_COMPLETED, USAGE_UPSERTED];
const TOKENS = `CASE WHEN event_type = '${USAGE_UPSERTED}' THEN (d->'delta'->>'total_tokens')::bigint ELSE (d->>'tokens_delta')::bigint END`;
const EFFECTIVE_AT = `CASE WHEN e.event_type = '${TOKENS_ADJUSTED}' THEN (e.payload->'data'->>'triggered_at')::timestamptz
                           ELSE (e.payload->>'occurred_at')::timestamptz END`;
const usage = (field: string) => `coalesce((d->'usage'->>'${field}')::bigint, 0)`;
const before = (field: string) => `(${usage(field)} - coalesce((d->'delta'->>'${field}')::bigint, 0))`;
const KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens'];
/** The ledger's price of a pending event; a usage record's revision costs its usage minus the usage before it. */
const COST = `CASE WHEN event_type = '${USAGE_UPSERTED}'
    THEN ledger.event_cost_micros(event_type, d->>'model', effective_at, (d->'usage'->>'total_tokens')::bigint, ${KINDS.map(usage).join(', ')})
       - ledger.event_cost_micros(event_type, d->>'model', effective_at, (d->'usage'->>'total_tokens')::bigint - (d->'delta'->>'total_tokens')::bigint, ${KINDS.map(before).join(', ')})
    ELSE ledger.event_cost_micros(event_type, d->>'model', effective_at, (d->>'tokens_delta')::bigint, ${KINDS.map(usage).join(', ')}) END`;

const BUDGET_COLUMNS = `b.user_id, b.period, b.tz, b.mode, b.limit_tokens::float8 AS limit_tokens, b.limit_cost_micros::float8 AS limit_cost_micros,
  b.round_reservation_tokens::float8 AS round_reservation_tokens, ${rfc3339('b.updated_at')} AS updated_at`;

/** `local` of a UTC instant in the budget's zone, with its offset: 2026-03-29T00:00:00+01:00. */
const localTime = (at: string) => `to_char(${at} AT TIME ZONE bounds.tz, 'YYYY-MM-DD"T"HH24:MI:SS') ||
  CASE WHEN (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC') < interval '0' THEN '-' ELSE '+' END ||
  to_char(abs(extract(epoch FROM (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC')))::int / 3600, 'FM00') || ':' ||
  to_char(abs(extract(epoch FROM (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC')))::int % 3600 / 60, 'FM00')`;

/**
 * The budget of $1 with its period and spend, in one statement. Period boundaries are local midnights in the
 * budget's zone, computed by PostgreSQL (date_trunc on local time, then back to an instant), so DST days last
 * 23 or 25 hours and zones at :30/:45 offsets start their day at their own midnight.
 *
 * Spend = what the ledger has applied (its view ledger.user_spend_view, by effective time in the period) plus
 * what the outbox holds that the ledger has not applied yet, priced by the ledger's own function, so a check
 * is exact at the moment it runs. Without the ledger's schema (not migrated yet) only the outbox counts.
 */
function stateSql(withLedger: boolean): string {
  return `
WITH at AS (SELECT coalesce($2::timestamptz, now()) AS t),
bounds AS (
  SELECT ${BUDGET_COLUMNS},
         (date_trunc(b.period, at.t AT TIME ZONE b.tz)) AT TIME ZONE b.tz AS period_start,
         (date_trunc(b.period, at.t AT TIME ZONE b.tz) + ('1 ' || b.period)::interval) AT TIME ZONE b.tz AS period_end
    FROM chat.budgets b, at WHERE b.user_id = $1
),
applied AS (
  ${
    withLedger
      ? `SELECT coalesce(sum(s.tokens_delta), 0)::float8 AS tokens, coalesce(sum(s.cost_micros), 0)::float8 AS cost
           FROM bounds JOIN ledger.user_spend_view s ON s.user_id = $1 AND s.effective_at >= bounds.period_start AND s.effective_at < bounds.period_end`
      : `SELECT 0::float8 AS tokens, 0::float8 AS cost`
  }
),
pending AS (
  SELECT e.event_type, e.payload->'data' AS d, ${EFFECTIVE_AT} AS effective_at
    FROM (${OUTBOX_USER_EVENTS_SQL}) e
   WHERE e.event_type IN (${SPEND_TYPES.map((t) => `'${t}'`).join(', ')})
     ${withLedger ? 'AND NOT EXISTS (SELECT 1 FROM ledger.user_spend_view s WHERE s.event_id = e.event_id)' : ''}
),
unapplied AS (
  SELECT coalesce(sum(${TOKENS}), 0)::float8 AS tokens,
         ${withLedger ? `coalesce(sum(${COST}), 0)::float8` : '0::float8'} AS cost
    FROM pending JOIN bounds ON pending.effective_at >= bounds.period_start AND pending.effective_at < bounds.period_end
),
reserved AS (
  SELECT coalesce(sum(r.tokens), 0)::float8 AS tokens, coalesce(sum(r.cost_micros), 0)::float8 AS cost, min(r.expires_at) AS first_expiry
    FROM bounds JOIN chat.budget_reservations r
      ON r.user_id = $1 AND r.settled_at IS NULL AND r.expires_at > now() AND r.created_at >= bounds.period_start
)
SELECT bounds.user_id, bounds.period, bounds.tz, bounds.mode, bounds.limit_tokens, bounds.limit_cost_micros, bounds.round_reservation_tokens,
       bounds.updated_at,
       ${rfc3339('bounds.period_start')} AS period_start, ${rfc3339('bounds.period_end')} AS period_end,
       ${localTime('bounds.period_start')} AS period_start_local, ${localTime('bounds.period_end')} AS period_end_local,
       applied.tokens + unapplied.tokens AS used_tokens, applied.cost + unapplied.cost AS used_cost_micros,
       reserved.tokens AS reserved_tokens, reserved.cost AS reserved_cost_micros,
       CASE WHEN reserved.first_expiry IS NULL THEN NULL ELSE ${rfc3339('reserved.first_expiry')} END AS first_reservation_expiry
  FROM bounds, applied, unapplied, reserved`;
}

@Injectable()
export class BudgetsRepository {
  private readonly ledger = new LedgerPresence(
    `to_regclass('ledger.user_spend_view') IS NOT NULL
     AND to_regprocedure('ledger.event_cost_micros(text,text,timestamptz,bigint,bigint,bigint,bigint,bigint,bigint)') IS NOT NULL`,
  );

  /**
   * Serialises every spend decision of one user: the outbox writer's per-user lock (taken again by the
   * writer, which is fine: transaction-level advisory locks nest). Taken first in a message's transaction,
   * before any row lock, so a round's check and its write cannot interleave with another of the same user.
   * Says whether the user has a budget.
   */
  async lockUser(manager: EntityManager, userId: string): Promise<boolean> {
    // One round trip: the lock, then whether a budget exists. The statement's snapshot predates the wait, so a
    // budget set while this write waited is not seen: the write counts as one that came just before it. The
    // checks that follow (state) run as new statements and see everything committed before the lock.
    const [row] = await manager.query(
      `SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext($1::text))::text AS locked,
              EXISTS (SELECT 1 FROM chat.budgets WHERE user_id = $1) AS budgeted`,
      [userId],
    );
    return row.budgeted === true;
  }

  /** The budget in the period around `at` (default: now, the transaction's time). */
  async state(manager: EntityManager, userId: string, at?: string): Promise<BudgetState | undefined> {
    const [row] = await manager.query(stateSql(await this.ledger.has(manager)), [userId, at ?? null]);
    return row;
  }

  async isKnownTimeZone(manager: EntityManager, tz: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM pg_timezone_names WHERE name = $1`, [tz]);
    return rows.length > 0;
  }

  async upsert(manager: EntityManager, userId: string, dto: PutBudgetDto, actor: string): Promise<void> {
    await manager.query(
      `INSERT INTO chat.budgets AS b (user_id, period, tz, limit_tokens, limit_cost_micros, mode, round_reservation_tokens, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (user_id) DO UPDATE SET period = excluded.period, tz = excluded.tz, limit_tokens = excluded.limit_tokens,
         limit_cost_micros = excluded.limit_cost_micros, mode = excluded.mode, round_reservation_tokens = excluded.round_reservation_tokens,
         updated_by = excluded.updated_by, updated_at = now()`,
      [userId, dto.period, dto.tz, dto.limit_tokens ?? null, dto.limit_cost_micros ?? null, dto.mode, dto.round_reservation_tokens ?? 0, actor],
    );
  }

  async delete(manager: EntityManager, userId: string): Promise<boolean> {
    const rows = await manager.query(`DELETE FROM chat.budgets WHERE user_id = $1 RETURNING 1`, [userId]);
    return rows.length > 0;
  }

  async audit(manager: EntityManager, change: { id: string; userId: string; action: 'put' | 'delete'; budget: unknown; actor: string }): Promise<void> {
    await manager.query(`INSERT INTO chat.budget_changes (id, user_id, action, budget, actor) VALUES ($1, $2, $3, $4, $5)`, [
      change.id,
      change.userId,
      change.action,
      change.budget === null ? null : JSON.stringify(change.budget),
      change.actor,
    ]);
  }

  /** What reserving `tokens` output tokens of `model` costs now (0 when unpriced or without the ledger). */
  async reservationCost(manager: EntityManager, model: string | null, tokens: number): Promise<number> {
    if (tokens === 0 || !model || !(await this.ledger.has(manager))) return 0;
    const [row] = await manager.query(
      `SELECT coalesce(ledger.event_cost_micros('${CHAT_MESSAGE_RECORDED}', $1, now(), $2::bigint, 0, $2::bigint, 0, 0, 0), 0)::float8 AS cost`,
      [model, tokens],
    );
    return row.cost;
  }

  async reserve(
    manager: EntityManager,
    r: { id: string; userId: string; conversationId: string; messageId: string; tokens: number; costMicros: number; ttlMs: number },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO chat.budget_reservations (id, user_id, conversation_id, message_id, tokens, cost_micros, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond')`,
      [r.id, r.userId, r.conversationId, r.messageId, r.tokens, r.costMicros, r.ttlMs],
    );
  }

  /** The assistant message of a round settles the conversation's oldest open reservation (its usage replaces it). */
  async settle(manager: EntityManager, conversationId: string, messageId: string): Promise<void> {
    await manager.query(
      `UPDATE chat.budget_reservations SET settled_at = now(), settled_by_message_id = $2
        WHERE id = (SELECT id FROM chat.budget_reservations
                     WHERE conversation_id = $1 AND settled_at IS NULL AND expires_at > now()
                     ORDER BY created_at LIMIT 1)`,
      [conversationId, messageId],
    );
  }

  /** Records a threshold as crossed in a period; false when it was announced before (once per threshold and period). */
  async markCrossed(
    manager: EntityManager,
    t: { userId: string; periodStart: string; metric: 'tokens' | 'cost'; threshold: 80 | 100; eventId: string },
  ): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO chat.budget_thresholds (user_id, period_start, metric, threshold, event_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [t.userId, t.periodStart, t.metric, t.threshold, t.eventId],
    );
    return rows.length > 0;
  }
}
