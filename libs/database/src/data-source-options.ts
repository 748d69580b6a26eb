import type { DataSourceOptions } from 'typeorm';
import type { MixedList, EntitySchema } from 'typeorm';
import { DEFAULT_SCHEMA_NAMES, SchemaNames, schemaMappingClient, schemaOf } from './schema-names';

export interface DatabaseOptions {
  url: string;
  /**
   * The schema owner (`chat`, `outbox`, `ledger`) whose migrations this data source records, in
   * `<its schema>_migrations`.
   */
  schema: string;
  /** Where the deployment keeps the schemas (CHAT_SCHEMA, LEDGER_SCHEMA, OUTBOX_SCHEMA, OUTBOX_TABLE); default names otherwise. */
  names?: SchemaNames;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  poolSize?: number;
  applicationName: string;
  statementTimeoutMs?: number;
}

export function buildDataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  const names = options.names ?? DEFAULT_SCHEMA_NAMES;
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: `${schemaOf(names, options.schema)}_migrations`,
    migrationsTransactionMode: 'each',
    // Schema changes only through reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    // TypeORM's own logger prints failed queries with their parameters (message contents): off.
    logging: false,
    applicationName: options.applicationName,
    extra: {
      // Every statement's `chat.` / `ledger.` / `outbox.` names become the deployment's (nothing with the defaults).
      Client: schemaMappingClient(names),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  };
}
