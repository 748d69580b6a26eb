import { createHash } from 'node:crypto';
import { DataSource, MigrationExecutor } from 'typeorm';
import { buildDataSourceOptions, DatabaseOptions } from './data-source-options';
import { DEFAULT_SCHEMA_NAMES, SchemaNames, schemaOf } from './schema-names';

type MigrationList = NonNullable<DatabaseOptions['migrations']>;

function lockKey(name: string): string {
  return BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 16))).toString();
}

/**
 * Several instances of one app may boot at once; a session advisory lock makes exactly one of them
 * apply pending migrations while the others wait and then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource, schema: string, names: SchemaNames = DEFAULT_SCHEMA_NAMES): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  // Keyed by the schema actually migrated, so installations with schemas of their own do not wait for each other.
  const key = lockKey(`chat-ledger:migrations:${schemaOf(names, schema)}`);
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
export async function migrateSchema(options: {
  url: string;
  schema: string;
  migrations: MigrationList;
  applicationName: string;
  names?: SchemaNames;
}): Promise<string[]> {
  return withOwnerDataSource(options.url, options, options.applicationName, options.names, (dataSource) =>
    runMigrations(dataSource, options.schema, options.names),
  );
}

/** The migrations of one schema owner (the chat schema, the outbox, the ledger), recorded in `<schema>_migrations`. */
export interface SchemaOwner {
  schema: string;
  migrations: MigrationList;
}

/** The names of the migrations of this data source not yet applied, in order. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  return (await new MigrationExecutor(dataSource).getPendingMigrations()).map((m) => m.name);
}

/** An app started with DB_MIGRATE=false on a database whose migrations it needs are not all applied. */
export class PendingMigrationsError extends Error {
  constructor(
    readonly host: string,
    readonly pending: ReadonlyArray<{ schema: string; migrations: string[] }>,
  ) {
    const list = pending.map((p) => `${p.schema}: ${p.migrations.join(', ')}`).join('; ');
    super(
      `${host} cannot start: DB_MIGRATE=false and the database has pending migrations (${list}). ` +
        'Apply them first with `npm run migrate` (in the image: node dist/tools/cli/main.js migrate), or start with DB_MIGRATE=true.',
    );
    this.name = 'PendingMigrationsError';
  }
}

async function withOwnerDataSource<T>(
  url: string,
  owner: SchemaOwner,
  applicationName: string,
  names: SchemaNames | undefined,
  use: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = new DataSource(buildDataSourceOptions({ url, schema: owner.schema, migrations: owner.migrations, poolSize: 2, applicationName, names }));
  await dataSource.initialize();
  try {
    return await use(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * What an app does with the schemas it hosts at boot (DB_MIGRATE): apply their pending migrations (true, under the
 * advisory lock of each owner), or refuse to start while any is pending (false: migrations are applied by a
 * separate step, `npm run migrate`, before the new version rolls out). Returns the migrations applied.
 */
export async function prepareSchemas(options: { url: string; owners: SchemaOwner[]; migrate: boolean; host: string; names?: SchemaNames }): Promise<string[]> {
  const applicationName = `${options.host}-migrate`;
  if (options.migrate) {
    const applied: string[] = [];
    for (const owner of options.owners) applied.push(...(await migrateSchema({ url: options.url, ...owner, applicationName, names: options.names })));
    return applied;
  }
  const pending: Array<{ schema: string; migrations: string[] }> = [];
  for (const owner of options.owners) {
    const names = await withOwnerDataSource(options.url, owner, applicationName, options.names, pendingMigrations);
    if (names.length > 0) pending.push({ schema: owner.schema, migrations: names });
  }
  if (pending.length > 0) throw new PendingMigrationsError(options.host, pending);
  return [];
}
