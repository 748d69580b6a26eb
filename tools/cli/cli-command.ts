import type { Command } from 'commander';
import type { SchemaNames } from '@chat-ledger/database';
import type { KafkaConnectionSettings } from '@chat-ledger/kafka';

/** One `npm run cli -- <name> [args]` command, declared on commander and run with what it parsed. */
export interface CliCommand<Options = Record<string, unknown>> {
  name: string;
  summary: string;
  /** Declares the command's arguments and options on the commander command `npm run cli` made for it. */
  define(command: Command): Command;
  /** Returns the process exit code: 0 done, 1 failed, 2 bad input. */
  run(input: { options: Options; args: string[] }, env: CliEnv): Promise<number>;
}

export interface CliEnv {
  /** DATABASE_URL, or the one of the `npm start` stack running from DATA_DIR. */
  databaseUrl(): string;
  /** CHAT_SCHEMA, LEDGER_SCHEMA, OUTBOX_SCHEMA, OUTBOX_TABLE of the shell (the apps' values), validated like the apps'. */
  schemaNames(): SchemaNames;
  /**
   * The Kafka connection keys (libs/kafka): KAFKA_BROKERS with KAFKA_SSL and KAFKA_SASL_*, validated like the apps',
   * or the embedded broker of the running stack (plaintext).
   */
  kafkaConnection(): KafkaConnectionSettings;
  out(line: string): void;
  err(line: string): void;
}

/** The client id of the CLI's Kafka clients, whatever KAFKA_CLIENT_ID the shell has (it may be an app's). */
export const CLI_KAFKA_CLIENT_ID = 'chat-ledger-cli';

/** For options given more than once (`--user-id a --user-id b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
