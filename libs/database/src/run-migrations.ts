import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, DatabaseOptions } from './data-source-options';

type MigrationList = NonNullable<DatabaseOptions['migrations']>;

function lockKey(name: string): string {
  return BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 16))).toString();
}

/**
 * Several instances of one app may boot at once; a session advisory lock makes exactly one of them
 * apply pending migrations while the others wait and then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource, schema: string): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = lockKey(`chat-ledger:migrations:${schema}`);
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await runner.release();
  }
}

export async function revertAllMigrations(dataSource: DataSource): Promise<void> {
  for (;;) {
    const executed = await dataSource
      .query(`SELECT 1 FROM ${dataSource.driver.escape(String(dataSource.options.migrationsTableName))} LIMIT 1`)
      .catch(() => []);
    if (executed.length === 0) return;
    await dataSource.undoLastMigration({ transaction: 'each' });
  }
}

/**
 * Applies the migrations of one schema owner (the chat schema, the outbox, the ledger) through a short-lived
 * pool of its own (two connections: one holds the advisory lock while the other migrates), recorded in
 * `<schema>_migrations`. Hosts call it for every owner they host.
 */
export async function migrateSchema(options: { url: string; schema: string; migrations: MigrationList; applicationName: string }): Promise<string[]> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: options.url, schema: options.schema, migrations: options.migrations, poolSize: 2, applicationName: options.applicationName }),
  );
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource, options.schema);
  } finally {
    await dataSource.destroy();
  }
}
