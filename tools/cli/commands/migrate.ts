import { DataSource } from 'typeorm';
import { buildDataSourceOptions, migrateSchema, pendingMigrations, SchemaNames, SchemaOwner, schemaOf } from '@chat-ledger/database';
import { OUTBOX_MIGRATIONS, OUTBOX_SCHEMA } from '@chat-ledger/outbox';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from '../../../apps/chat-gateway/src/index';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from '../../../apps/ledger-consumer/src/index';
import type { CliCommand, CliEnv } from '../cli-command';
import { collect } from '../cli-command';

/** Every schema owner, in the order the apps migrate them (the gateway's chat and outbox, then the ledger). */
export const SCHEMA_OWNERS: ReadonlyArray<SchemaOwner & { name: string }> = [
  { name: 'chat', schema: CHAT_SCHEMA, migrations: CHAT_MIGRATIONS },
  { name: 'outbox', schema: OUTBOX_SCHEMA, migrations: OUTBOX_MIGRATIONS },
  { name: 'ledger', schema: LEDGER_SCHEMA, migrations: LEDGER_MIGRATIONS },
];

/** `chat`, or `chat (in schema acme_chat)` when the deployment chose another schema. */
function ownerLabel(owner: { name: string; schema: string }, names: SchemaNames): string {
  const schema = schemaOf(names, owner.schema);
  return schema === owner.schema ? owner.name : `${owner.name} (in schema ${schema})`;
}

type MigrateOptions = { owner?: string[]; check: boolean };

async function pendingOf(url: string, owner: SchemaOwner, names: SchemaNames): Promise<string[]> {
  const dataSource = new DataSource(buildDataSourceOptions({ url, ...owner, names, poolSize: 1, applicationName: 'chat-ledger-migrate' }));
  await dataSource.initialize();
  try {
    return await pendingMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `npm run migrate [-- --owner chat --owner ledger] [--check]`: applies the migrations of every schema owner (or the
 * named ones, for databases split per app) without starting an app, under the same advisory locks the apps take, so
 * it is safe while apps boot. The deploy step before apps that run with DB_MIGRATE=false. `--check` applies nothing
 * and exits 1 while any migration is pending.
 */
export const migrateCommand: CliCommand<MigrateOptions> = {
  name: 'migrate',
  summary: 'apply the database migrations of chat, outbox and ledger (or --owner …) without starting an app; --check only lists pending ones',
  define: (command) =>
    command
      .option('--owner <name>', `only this schema owner (${SCHEMA_OWNERS.map((o) => o.name).join(', ')}); repeatable`, collect)
      .option('--check', 'apply nothing; exit 1 when migrations are pending', false),
  async run({ options }, env: CliEnv): Promise<number> {
    const names = options.owner ?? SCHEMA_OWNERS.map((o) => o.name);
    const unknown = names.filter((n) => !SCHEMA_OWNERS.some((o) => o.name === n));
    if (unknown.length > 0) {
      env.err(`migrate: unknown --owner ${unknown.join(', ')} (known: ${SCHEMA_OWNERS.map((o) => o.name).join(', ')})`);
      return 2;
    }
    const url = env.databaseUrl();
    const schemaNames = env.schemaNames();
    let pending = 0;
    for (const owner of SCHEMA_OWNERS.filter((o) => names.includes(o.name))) {
      if (options.check) {
        const list = await pendingOf(url, owner, schemaNames);
        pending += list.length;
        env.out(
          list.length === 0
            ? `${ownerLabel(owner, schemaNames)}: up to date`
            : `${ownerLabel(owner, schemaNames)}: ${list.length} pending (${list.join(', ')})`,
        );
        continue;
      }
      const applied = await migrateSchema({
        url,
        schema: owner.schema,
        migrations: owner.migrations,
        names: schemaNames,
        applicationName: 'chat-ledger-migrate',
      });
      env.out(
        applied.length === 0
          ? `${ownerLabel(owner, schemaNames)}: up to date`
          : `${ownerLabel(owner, schemaNames)}: applied ${applied.length} (${applied.join(', ')})`,
      );
    }
    return pending > 0 ? 1 : 0;
  },
};
