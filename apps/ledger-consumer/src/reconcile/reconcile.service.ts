import { DataSource, EntityManager } from 'typeorm';
import { BALANCE_TABLES, BalanceTable } from '../ledger/ledger-aggregates';
import { ReconcileRepository } from './reconcile.repository';

export interface DriftDetail {
  table: string;
  key: Record<string, unknown>;
  /** missing: the journal implies a row that is not stored; unexpected: a stored row the journal does not imply. */
  kind: 'missing' | 'unexpected' | 'different';
  columns: Record<string, { expected: unknown; actual: unknown }>;
}

export interface TableReport {
  table: string;
  rows: number;
  drifted: number;
  deleted?: number;
  upserted?: number;
}

export interface ReconcileReport {
  tables: TableReport[];
  /** Keys that drifted, over all tables. */
  drifted: number;
  /** The first drifted rows per table (see `limit`). */
  details: DriftDetail[];
  repaired: boolean;
}

function keyOf(t: BalanceTable, row: Record<string, unknown>): string {
  return JSON.stringify(t.key.map((k) => row[k.name] ?? null));
}

/**
 * Recomputes every balance (user, conversation, message, hourly, usage records) from the journal and compares or
 * repairs. Used by `npm run cli -- ledger:reconcile`; takes a plain DataSource (no Nest app needed).
 */
export class ReconcileService {
  private readonly repo = new ReconcileRepository();

  constructor(private readonly dataSource: DataSource) {}

  /** Read-only, on one snapshot (REPEATABLE READ), so a running consumer cannot make it see half a batch. */
  async check(limit = 20): Promise<ReconcileReport> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query('SET TRANSACTION READ ONLY');
      return this.inspect(manager, limit);
    });
  }

  /**
   * Fixes every drifted row in ONE transaction. The journal is locked in SHARE mode first: in-flight
   * batches finish, new ones wait until the repair commits, so the recomputation cannot race them.
   */
  async repair(limit = 20): Promise<ReconcileReport> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('LOCK TABLE ledger.entries IN SHARE MODE');
      const report = await this.inspect(manager, limit);
      for (const [i, t] of BALANCE_TABLES.entries()) {
        if (report.tables[i]!.drifted === 0) continue;
        Object.assign(report.tables[i]!, await this.repo.repair(manager, t));
      }
      return { ...report, repaired: true };
    });
  }

  private async inspect(manager: EntityManager, limit: number): Promise<ReconcileReport> {
    const tables: TableReport[] = [];
    const details: DriftDetail[] = [];
    for (const t of BALANCE_TABLES) {
      const drifted = await this.repo.countDrift(manager, t);
      tables.push({ table: t.name, rows: await this.repo.countRows(manager, t), drifted });
      if (drifted > 0) details.push(...(await this.details(manager, t, limit)));
    }
    return { tables, drifted: tables.reduce((n, t) => n + t.drifted, 0), details, repaired: false };
  }

  private async details(manager: EntityManager, t: BalanceTable, limit: number): Promise<DriftDetail[]> {
    const byKey = new Map<string, { expected?: Record<string, unknown>; actual?: Record<string, unknown> }>();
    for (const { side, row } of await this.repo.diff(manager, t, limit)) {
      const k = keyOf(t, row);
      byKey.set(k, { ...byKey.get(k), [side]: row });
    }
    return [...byKey.values()].slice(0, limit).map(({ expected, actual }) => {
      const any = (expected ?? actual)!;
      const key = Object.fromEntries(t.key.map((k) => [k.name, any[k.name] ?? null]));
      const columns: DriftDetail['columns'] = {};
      for (const c of t.columns) {
        const e = expected?.[c.name] ?? null;
        const a = actual?.[c.name] ?? null;
        if (!expected || !actual || JSON.stringify(e) !== JSON.stringify(a)) columns[c.name] = { expected: expected ? e : null, actual: actual ? a : null };
      }
      return { table: t.name, key, kind: !actual ? 'missing' : !expected ? 'unexpected' : 'different', columns };
    });
  }
}
