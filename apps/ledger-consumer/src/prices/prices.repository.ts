import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';
import { BALANCE_TABLES, COST_CORRECTED, foldUpsert } from '../ledger/ledger-aggregates';
import { costSql, priceInEffectSql, usageRecordBaseSql } from './cost-sql';

export interface PriceRow {
  model: string;
  effective_from: string;
  currency: string;
  input_micros_per_mtok: string;
  cached_input_micros_per_mtok: string | null;
  cache_write_micros_per_mtok: string | null;
  output_micros_per_mtok: string;
  reasoning_micros_per_mtok: string | null;
  created_by: string;
  created_at: string;
}

export type NewPrice = Omit<PriceRow, 'created_at'>;

export interface RepriceChange {
  model: string | null;
  events: number;
  cost_delta_micros: string;
  newly_priced: number;
}

const COLUMNS = `model, ${rfc3339('effective_from')} AS effective_from, currency, input_micros_per_mtok::text, cached_input_micros_per_mtok::text,
  cache_write_micros_per_mtok::text, output_micros_per_mtok::text, reasoning_micros_per_mtok::text, created_by, ${rfc3339('created_at')} AS created_at`;

/**
 * Every applied event of [from, to) (optionally of some models) with what it costs at the current price book
 * and the correction that brings what was counted for it (its original cost plus earlier corrections) there.
 * Events priced right already, and events still without a price, need none. A usage record's row is priced
 * as the difference it made to its record, so it brings what its record had counted before it (`b`).
 */
const REPRICE_CHANGES = `
  targets AS (
    SELECT e.*, b.*,
           coalesce(c.cost, 0) AS corrected_cost, coalesce(c.unpriced, 0) AS corrected_unpriced
      FROM ledger.entries e
      LEFT JOIN LATERAL (SELECT sum(x.cost_micros) AS cost, sum(x.unpriced) AS unpriced
                           FROM ledger.entries x WHERE x.corrects_event_id = e.event_id) c ON true
      ${usageRecordBaseSql('e')}
     WHERE e.event_type <> '${COST_CORRECTED}' AND e.effective_at >= $1::timestamptz AND e.effective_at < $2::timestamptz
       AND ($3::text[] IS NULL OR e.model = ANY($3::text[]))
  ),
  repriced AS (
    SELECT t.*, p.effective_from AS new_price_from, ${costSql('t', 'p')} AS new_cost,
           t.unpriced + t.corrected_unpriced AS unpriced_now, coalesce(t.cost_micros, 0) + t.corrected_cost AS cost_now
      FROM targets t ${priceInEffectSql('t')}
  ),
  changes AS (
    SELECT r.*,
           CASE WHEN r.unpriced_now > 0 THEN r.new_cost ELSE r.new_cost - r.cost_now END AS cost_delta,
           CASE WHEN r.unpriced_now > 0 THEN -1 ELSE 0 END AS unpriced_delta
      FROM repriced r
     WHERE r.new_cost IS NOT NULL AND (r.unpriced_now > 0 OR r.new_cost <> r.cost_now)
  )`;

@Injectable()
export class PricesRepository {
  async versions(manager: EntityManager, model?: string): Promise<PriceRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM ledger.prices ${model !== undefined ? 'WHERE model = $1' : ''} ORDER BY model, effective_from DESC`,
      model !== undefined ? [model] : [],
    );
  }

  /** False when a version with this effective_from exists already (history is never overwritten). */
  async insert(manager: EntityManager, price: NewPrice): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO ledger.prices (model, effective_from, currency, input_micros_per_mtok, cached_input_micros_per_mtok,
                                  cache_write_micros_per_mtok, output_micros_per_mtok, reasoning_micros_per_mtok, created_by)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (model, effective_from) DO NOTHING
       RETURNING 1`,
      [
        price.model,
        price.effective_from,
        price.currency,
        price.input_micros_per_mtok,
        price.cached_input_micros_per_mtok,
        price.cache_write_micros_per_mtok,
        price.output_micros_per_mtok,
        price.reasoning_micros_per_mtok,
        price.created_by,
      ],
    );
    return rows.length === 1;
  }

  async version(manager: EntityManager, model: string, effectiveFrom: string): Promise<PriceRow | undefined> {
    const [row] = await manager.query(`SELECT ${COLUMNS} FROM ledger.prices WHERE model = $1 AND effective_from = $2::timestamptz`, [model, effectiveFrom]);
    return row;
  }

  /** Events of the model already applied whose tokens were spent at or after `from` (a new version does not reprice them). */
  async appliedSince(manager: EntityManager, model: string, from: string): Promise<number> {
    const [row] = await manager.query(
      `SELECT count(*)::int AS n FROM ledger.entries WHERE model = $1 AND effective_at >= $2::timestamptz AND event_type <> '${COST_CORRECTED}'`,
      [model, from],
    );
    return row.n;
  }

  async pricedModels(manager: EntityManager, models: string[]): Promise<string[]> {
    const rows: Array<{ model: string }> = await manager.query(`SELECT DISTINCT model FROM ledger.prices WHERE model = ANY($1::text[])`, [models]);
    return rows.map((r) => r.model);
  }

  async eventsIn(manager: EntityManager, from: string, to: string, models: string[] | null): Promise<number> {
    const [row] = await manager.query(
      `SELECT count(*)::int AS n FROM ledger.entries
        WHERE event_type <> '${COST_CORRECTED}' AND effective_at >= $1::timestamptz AND effective_at < $2::timestamptz
          AND ($3::text[] IS NULL OR model = ANY($3::text[]))`,
      [from, to, models],
    );
    return row.n;
  }

  /** What a reprice would write, per model, without writing anything. */
  async previewReprice(manager: EntityManager, from: string, to: string, models: string[] | null): Promise<RepriceChange[]> {
    return manager.query(
      `WITH ${REPRICE_CHANGES}
       SELECT model, count(*)::int AS events, sum(cost_delta)::text AS cost_delta_micros, count(*) FILTER (WHERE unpriced_delta < 0)::int AS newly_priced
         FROM changes GROUP BY model ORDER BY model NULLS LAST`,
      [from, to, models],
    );
  }

  /**
   * Writes one correcting journal entry per changed event (cost only: tokens 0, the original's user,
   * conversation, message, model, reason, source, channel, operation, tenant and time, so every balance and rollup
   * row the event counts in moves by exactly the difference) and folds them in, in one statement.
   */
  async writeCorrections(manager: EntityManager, from: string, to: string, models: string[] | null): Promise<RepriceChange[]> {
    return manager.query(
      `WITH ${REPRICE_CHANGES},
       inserted AS (
         INSERT INTO ledger.entries (event_id, event_type, event_version, source, user_id, conversation_id, message_id, role, model, reason,
                                     tokens_delta, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, total_tokens,
                                     occurred_at, effective_at, kafka_topic, kafka_partition, kafka_offset, channel, operation,
                                     task_id, task_kind, org_id, project_id, api_key_id, cost_micros, unpriced, price_effective_from, corrects_event_id)
         SELECT gen_random_uuid(), '${COST_CORRECTED}', 1, c.source, c.user_id, c.conversation_id, c.message_id, NULL, c.model, c.reason,
                0, 0, 0, 0, 0, 0, 0, clock_timestamp(), c.effective_at, 'ledger.reprice', 0, 0, c.channel, c.operation,
                c.task_id, c.task_kind, c.org_id, c.project_id, c.api_key_id, c.cost_delta, c.unpriced_delta, c.new_price_from, c.event_id
           FROM changes c
          ORDER BY c.effective_at, c.event_id
         RETURNING *
       ),
       ${BALANCE_TABLES.map((t, i) => `fold_${i} AS (${foldUpsert(t, 'inserted')})`).join(',\n')}
       SELECT model, count(*)::int AS events, sum(cost_micros)::text AS cost_delta_micros, count(*) FILTER (WHERE unpriced < 0)::int AS newly_priced
         FROM inserted GROUP BY model ORDER BY model NULLS LAST`,
      [from, to, models],
    );
  }

  async recordReprice(
    manager: EntityManager,
    audit: { id: string; actor: string; from: string; to: string; models: string[] | null; entries: number; delta: string; newlyPriced: number },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ledger.reprices (id, actor, from_at, to_at, models, entries_written, cost_delta_micros, newly_priced)
       VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::text[], $6, $7::bigint, $8)`,
      [audit.id, audit.actor, audit.from, audit.to, audit.models, audit.entries, audit.delta, audit.newlyPriced],
    );
  }
}
