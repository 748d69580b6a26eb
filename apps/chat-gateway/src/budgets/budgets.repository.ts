import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CHAT_MESSAGE_RECORDED, TASK_COMPLETED, TOKENS_ADJUSTED, USAGE_UPSERTED } from '@chat-ledger/contracts';
import { rfc3339 } from '@chat-ledger/database';
import { OUTBOX_USER_EVENTS_SQL, outboxEventsOfKeysSql, OutboxLock } from '@chat-ledger/outbox';
import { LedgerPresence } from '../ledger-totals/ledger-presence';
import type { PutBudgetDto } from './dto/put-budget.dto';

/** Whose budget: a user's (chat.budgets) or an organisation's (chat.org_budgets). */
export type BudgetScope = 'user' | 'org';

/** Advisory lock class of organisations' budget checks (pg_advisory_xact_lock(class, hashtext(org_id))); the gateway's own. */
const ORG_BUDGET_LOCK = 0x62756f72; // 'buor'

export interface BudgetRow {
  /** The user of a user's budget, or the organisation of an organisation's (see `scope`). */
  subject: string;
  scope: BudgetScope;
  period: 'day' | 'week' | 'month';
  tz: string;
  mode: 'hard' | 'soft';
  limit_tokens: number | null;
  limit_cost_micros: number | null;
  round_reservation_tokens: number;
  updated_at: string;
}

/** What a write learns with its user's lock (BudgetsRepository.lockUser). */
export interface UserWriteLock {
  /** The user has a budget. */
  budgeted: boolean;
  /** The user's organisation as the gateway had bound it when the lock was taken (null: none yet). */
  boundOrg: string | null;
  /** The organisation with a budget the user's rounds count towards (the bound one, else the one the write names); null: none. */
  orgBudget: string | null;
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

const budgetColumns = (
  scope: BudgetScope,
) => `${scope === 'user' ? 'b.user_id' : 'b.org_id'} AS subject, '${scope}'::text AS scope, b.period, b.tz, b.mode, b.limit_tokens::float8 AS limit_tokens, b.limit_cost_micros::float8 AS limit_cost_micros,
  b.round_reservation_tokens::float8 AS round_reservation_tokens, ${rfc3339('b.updated_at')} AS updated_at`;

/** `local` of a UTC instant in the budget's zone, with its offset: 2026-03-29T00:00:00+01:00. */
const localTime = (at: string) => `to_char(${at} AT TIME ZONE bounds.tz, 'YYYY-MM-DD"T"HH24:MI:SS') ||
  CASE WHEN (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC') < interval '0' THEN '-' ELSE '+' END ||
  to_char(abs(extract(epoch FROM (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC')))::int / 3600, 'FM00') || ':' ||
  to_char(abs(extract(epoch FROM (${at} AT TIME ZONE bounds.tz) - (${at} AT TIME ZONE 'UTC')))::int % 3600 / 60, 'FM00')`;

/** Where a scope's budget, spend and reservations are. */
const SCOPES: Record<BudgetScope, { table: string; spend: string; pending: string; reserved: string }> = {
  user: {
    table: 'chat.budgets b WHERE b.user_id = $1',
    spend: 's.user_id = $1',
    pending: `(${OUTBOX_USER_EVENTS_SQL}) e WHERE TRUE`,
    reserved: 'r.user_id = $1',
  },
  // An organisation's users' events still in the outbox, those of the organisation (a user's events before it was
  // bound name none).
  org: {
    table: 'chat.org_budgets b WHERE b.org_id = $1',
    spend: 's.org_id = $1',
    pending: `(${outboxEventsOfKeysSql('SELECT u.user_id FROM chat.user_orgs u WHERE u.org_id = $1')}) e WHERE e.payload->'data'->>'org_id' = $1`,
    reserved: 'r.org_id = $1',
  },
};

/**
 * The budget of $1 (a user, or an organisation) with its period and spend, in one statement. Period boundaries are local midnights in the
 * budget's zone, computed by PostgreSQL (date_trunc on local time, then back to an instant), so DST days last
 * 23 or 25 hours and zones at :30/:45 offsets start their day at their own midnight.
 *
 * Spend = what the ledger has applied (its view ledger.user_spend_view, by effective time in the period) plus
 * what the outbox holds that the ledger has not applied yet, priced by the ledger's own function, so a check
 * is exact at the moment it runs. Without the ledger's schema (not migrated yet) only the outbox counts. An
 * organisation's spend is its events' (org_id), of whichever of its users; its pending events are those its
 * users (chat.user_orgs) have in the outbox.
 */
function stateSql(withLedger: boolean, scope: BudgetScope): string {
  const where = SCOPES[scope];
  return `
WITH at AS (SELECT coalesce($2::timestamptz, now()) AS t),
bounds AS (
  SELECT ${budgetColumns(scope)},
         (date_trunc(b.period, at.t AT TIME ZONE b.tz)) AT TIME ZONE b.tz AS period_start,
         (date_trunc(b.period, at.t AT TIME ZONE b.tz) + ('1 ' || b.period)::interval) AT TIME ZONE b.tz AS period_end
    FROM at, ${where.table}
),
applied AS (
  ${
    withLedger
      ? `SELECT coalesce(sum(s.tokens_delta), 0)::float8 AS tokens, coalesce(sum(s.cost_micros), 0)::float8 AS cost
           FROM bounds JOIN ledger.user_spend_view s ON ${where.spend} AND s.effective_at >= bounds.period_start AND s.effective_at < bounds.period_end`
      : `SELECT 0::float8 AS tokens, 0::float8 AS cost`
  }
),
pending AS (
  SELECT e.event_type, e.payload->'data' AS d, ${EFFECTIVE_AT} AS effective_at
    FROM ${where.pending}
     AND e.event_type IN (${SPEND_TYPES.map((t) => `'${t}'`).join(', ')})
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
      ON ${where.reserved} AND r.settled_at IS NULL AND r.expires_at > now() AND r.created_at >= bounds.period_start
)
SELECT bounds.subject, bounds.scope, bounds.period, bounds.tz, bounds.mode, bounds.limit_tokens, bounds.limit_cost_micros, bounds.round_reservation_tokens,
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
  /** The ledger's spend view names organisations (its tenant migration ran): organisations' budgets need it. */
  private readonly ledgerTenants = new LedgerPresence(
    `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('ledger.user_spend_view') AND attname = 'org_id' AND NOT attisdropped)`,
  );

  /**
   * Serialises every spend decision of one user: the outbox writer's per-user lock (taken again by the
   * writer, which is fine: transaction-level advisory locks nest). Taken first in a message's transaction,
   * before any row lock, so a round's check and its write cannot interleave with another of the same user.
   * Says whether the user has a budget, the user's organisation and whether that one (or, for a user not bound
   * yet, `claimedOrg`) has a budget.
   */
  async lockUser(manager: EntityManager, userId: string, claimedOrg?: string | null): Promise<UserWriteLock> {
    // One round trip: the lock, then what the write needs to know. The statement's snapshot predates the wait, so a
    // budget set (or a binding made) while this write waited is not seen: the write counts as one that came just
    // before it, and a first binding is decided again by the insert that makes it. The checks that follow (state)
    // run as new statements and see everything committed before the lock.
    const [row] = await manager.query(
      `SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext($1::text))::text AS locked,
              EXISTS (SELECT 1 FROM chat.budgets WHERE user_id = $1) AS budgeted,
              o.org_id AS bound_org,
              (SELECT ob.org_id FROM chat.org_budgets ob WHERE ob.org_id = coalesce(o.org_id, $2::text)) AS org_budget
         FROM (SELECT 1) one LEFT JOIN chat.user_orgs o ON o.user_id = $1`,
      [userId, claimedOrg ?? null],
    );
    return { budgeted: row.budgeted === true, boundOrg: row.bound_org ?? null, orgBudget: row.org_budget ?? null };
  }

  /**
   * Serialises the budget checks of one organisation's rounds (its users take their own locks first, then this
   * one: always in that order). Taken only when the organisation has a budget.
   */
  async lockOrg(manager: EntityManager, orgId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(${ORG_BUDGET_LOCK}, hashtext($1::text))::text`, [orgId]);
  }

  /** The budget in the period around `at` (default: now, the transaction's time). */
  async state(manager: EntityManager, scope: BudgetScope, subject: string, at?: string): Promise<BudgetState | undefined> {
    const withLedger = (await this.ledger.has(manager)) && (scope === 'user' || (await this.ledgerTenants.has(manager)));
    const [row] = await manager.query(stateSql(withLedger, scope), [subject, at ?? null]);
    return row;
  }

  async isKnownTimeZone(manager: EntityManager, tz: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM pg_timezone_names WHERE name = $1`, [tz]);
    return rows.length > 0;
  }

  async upsert(manager: EntityManager, scope: BudgetScope, subject: string, dto: PutBudgetDto, actor: string): Promise<void> {
    const [table, key] = scope === 'user' ? ['chat.budgets', 'user_id'] : ['chat.org_budgets', 'org_id'];
    await manager.query(
      `INSERT INTO ${table} AS b (${key}, period, tz, limit_tokens, limit_cost_micros, mode, round_reservation_tokens, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (${key}) DO UPDATE SET period = excluded.period, tz = excluded.tz, limit_tokens = excluded.limit_tokens,
         limit_cost_micros = excluded.limit_cost_micros, mode = excluded.mode, round_reservation_tokens = excluded.round_reservation_tokens,
         updated_by = excluded.updated_by, updated_at = now()`,
      [subject, dto.period, dto.tz, dto.limit_tokens ?? null, dto.limit_cost_micros ?? null, dto.mode, dto.round_reservation_tokens ?? 0, actor],
    );
  }

  async delete(manager: EntityManager, scope: BudgetScope, subject: string): Promise<boolean> {
    const sql = scope === 'user' ? `DELETE FROM chat.budgets WHERE user_id = $1 RETURNING 1` : `DELETE FROM chat.org_budgets WHERE org_id = $1 RETURNING 1`;
    const rows = await manager.query(sql, [subject]);
    return rows.length > 0;
  }

  async audit(
    manager: EntityManager,
    change: { id: string; scope: BudgetScope; subject: string; action: 'put' | 'delete'; budget: unknown; actor: string },
  ): Promise<void> {
    await manager.query(`INSERT INTO chat.budget_changes (id, user_id, org_id, action, budget, actor) VALUES ($1, $2, $3, $4, $5, $6)`, [
      change.id,
      change.scope === 'user' ? change.subject : null,
      change.scope === 'org' ? change.subject : null,
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
    r: { id: string; userId: string; orgId: string | null; conversationId: string; messageId: string; tokens: number; costMicros: number; ttlMs: number },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO chat.budget_reservations (id, user_id, org_id, conversation_id, message_id, tokens, cost_micros, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8 * interval '1 millisecond')`,
      [r.id, r.userId, r.orgId, r.conversationId, r.messageId, r.tokens, r.costMicros, r.ttlMs],
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
