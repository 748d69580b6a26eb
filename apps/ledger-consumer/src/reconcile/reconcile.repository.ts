import type { EntityManager } from 'typeorm';
import { expectedSelect } from '../ledger/folded-balances';
import { BalanceTable } from '../ledger/ledger-aggregates';

/** One side of a difference: the row as recomputed from the journal, or as stored. */
export interface DiffRow {
  side: 'expected' | 'actual';
  row: Record<string, unknown>;
}

function columnsOf(t: BalanceTable): string[] {
  return [...t.key.map((k) => k.name), ...t.columns.map((c) => c.name)];
}

/**
 * expected: the table recomputed from the whole journal with the same aggregate definitions the
 * consumer folds with, plus what entries folded away by journal retention had contributed; actual: the stored rows (without updated_at). EXCEPT compares NULLs as equal,
 * which the nullable keys of usage_hourly need.
 */
function withSides(t: BalanceTable): string {
  return `WITH expected AS (${expectedSelect(t)}),
               actual AS (SELECT ${columnsOf(t).join(', ')} FROM ${t.table}),
               missing_or_wrong AS (SELECT * FROM expected EXCEPT SELECT * FROM actual),
               unexpected_or_wrong AS (SELECT * FROM actual EXCEPT SELECT * FROM expected)`;
}

const keyList = (t: BalanceTable) => t.key.map((k) => k.name).join(', ');

export class ReconcileRepository {
  async countRows(manager: EntityManager, t: BalanceTable): Promise<number> {
    const [row] = await manager.query(`SELECT count(*)::bigint::text AS n FROM ${t.table}`);
    return Number(row.n);
  }

  /** Number of keys whose stored row differs from the recomputed one (or exists on one side only). */
  async countDrift(manager: EntityManager, t: BalanceTable): Promise<number> {
    const [row] = await manager.query(
      `${withSides(t)}
       SELECT count(*)::bigint::text AS n FROM (
         SELECT ${keyList(t)} FROM missing_or_wrong UNION SELECT ${keyList(t)} FROM unexpected_or_wrong) d`,
    );
    return Number(row.n);
  }

  /** Up to `limit` rows of each side of the difference. */
  async diff(manager: EntityManager, t: BalanceTable, limit: number): Promise<DiffRow[]> {
    return manager.query(
      `${withSides(t)}
       (SELECT 'expected' AS side, to_jsonb(x) AS row FROM (SELECT * FROM missing_or_wrong ORDER BY ${keyList(t)} LIMIT ${limit}) x)
       UNION ALL
       (SELECT 'actual', to_jsonb(y) FROM (SELECT * FROM unexpected_or_wrong ORDER BY ${keyList(t)} LIMIT ${limit}) y)`,
    );
  }

  /**
   * Makes the table equal to its recomputation: rows whose key the journal does not produce are deleted,
   * missing or different rows are upserted. Only drifted rows are written.
   */
  async repair(manager: EntityManager, t: BalanceTable): Promise<{ deleted: number; upserted: number }> {
    const keys = t.key.map((k) => k.name);
    const match = keys.map((k) => `a.${k} IS NOT DISTINCT FROM x.${k}`).join(' AND ');
    const set = t.columns.map((c) => `${c.name} = excluded.${c.name}`).join(', ');
    const [row] = await manager.query(
      `${withSides(t)},
            extra AS (SELECT ${keys.join(', ')} FROM actual EXCEPT SELECT ${keys.join(', ')} FROM expected),
            deleted AS (DELETE FROM ${t.table} a USING extra x WHERE ${match} RETURNING 1),
            upserted AS (
              INSERT INTO ${t.table} AS t (${columnsOf(t).join(', ')}, updated_at)
              SELECT m.*, now() FROM missing_or_wrong m
              ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${set}, updated_at = excluded.updated_at
              RETURNING 1)
       SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM upserted)::int AS upserted`,
    );
    return row;
  }
}
