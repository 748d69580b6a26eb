import { DEFAULT_SCHEMA_NAMES, SchemaNames } from '@chat-ledger/database';
import type { CliEnv } from './cli-command';

/**
 * The CLI's environment for tests that run it in their own process (`runCli(argv, env)`): a database, its schema
 * names (the defaults unless given), no Kafka, and what the command printed, line by line.
 */
export function cliTestEnv(databaseUrl: string, schemaNames: SchemaNames = DEFAULT_SCHEMA_NAMES): { env: CliEnv; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const env: CliEnv = {
    databaseUrl: () => databaseUrl,
    schemaNames: () => schemaNames,
    kafkaConnection: () => ({}),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  };
  return { env, out, err };
}
