import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@chat-ledger/database';
import { ReconcileReport, ReconcileService } from '../../../apps/ledger-consumer/src/index';
import type { CliCommand, CliEnv } from '../cli-command';

type ReconcileOptions = { repair: boolean; limit: string };

function print(report: ReconcileReport, env: CliEnv): void {
  for (const t of report.tables) {
    const fixed = t.deleted !== undefined || t.upserted !== undefined ? `, repaired (${t.upserted ?? 0} upserted, ${t.deleted ?? 0} deleted)` : '';
    env.out(`${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows  ${t.drifted === 0 ? 'no drift' : `${t.drifted} drifted${fixed}`}`);
  }
  for (const d of report.details) {
    const key = Object.entries(d.key)
      .map(([k, v]) => `${k}=${v ?? 'null'}`)
      .join(' ');
    const cols = Object.entries(d.columns).map(([c, { expected, actual }]) => `${c} expected ${JSON.stringify(expected)} actual ${JSON.stringify(actual)}`);
    env.out(`  drift ${d.table} ${key} (${d.kind}): ${cols.join('; ')}`);
  }
  const shown = report.details.length;
  if (report.drifted > shown) env.out(`  … ${report.drifted - shown} more drifted rows not shown (--limit)`);
}

/**
 * `npm run cli -- ledger:reconcile [--repair] [--limit N]`: recomputes every balance from the journal and
 * prints the drift. Exit 0: no drift (or drift repaired); 1: drift found without --repair.
 */
export const ledgerReconcileCommand: CliCommand<ReconcileOptions> = {
  name: 'ledger:reconcile',
  summary: 'recompute ledger totals (user, conversation, message, hourly, usage records) from the journal; print drift; --repair fixes it in one transaction',
  define: (command) =>
    command
      .option('--repair', 'rewrite the drifted totals from the journal, in one transaction', false)
      .option('--limit <n>', 'drifted rows to print (1-10000)', '20'),
  async run({ options: values }, env: CliEnv): Promise<number> {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      env.err('--limit must be an integer between 1 and 10000');
      return 2;
    }
    const dataSource = new DataSource(
      buildDataSourceOptions({ url: env.databaseUrl(), schema: 'ledger', names: env.schemaNames(), applicationName: 'ledger-reconcile', poolSize: 2 }),
    );
    await dataSource.initialize();
    try {
      const [{ present }] = await dataSource.query(`SELECT to_regclass('ledger.entries') IS NOT NULL AS present`);
      if (!present) {
        env.err('ledger:reconcile: the ledger schema does not exist in this database (start ledger-consumer with DB_MIGRATE=true once)');
        return 1;
      }
      const service = new ReconcileService(dataSource);
      if (!values.repair) {
        const report = await service.check(limit);
        print(report, env);
        env.out(
          report.drifted === 0 ? 'ledger:reconcile: totals equal the journal' : `ledger:reconcile: DRIFT in ${report.drifted} rows (run with --repair to fix)`,
        );
        return report.drifted === 0 ? 0 : 1;
      }
      const repaired = await service.repair(limit);
      print(repaired, env);
      const after = await service.check(limit);
      if (after.drifted > 0) {
        env.err(`ledger:reconcile: ${after.drifted} rows still drift after the repair`);
        return 1;
      }
      env.out(
        repaired.drifted === 0
          ? 'ledger:reconcile: totals equal the journal, nothing to repair'
          : `ledger:reconcile: repaired ${repaired.drifted} rows; totals equal the journal`,
      );
      return 0;
    } finally {
      await dataSource.destroy();
    }
  },
};
