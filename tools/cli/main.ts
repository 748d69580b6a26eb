import 'reflect-metadata';
import { resolve } from 'node:path';
import { schemaNamesFromEnv, WithSchemaNamesEnv } from '@chat-ledger/database';
import { WithKafkaConnectionEnv } from '@chat-ledger/kafka';
import { IsOptional, IsString } from 'class-validator';
import { BaseEnv, EnvSecret, loadConfig } from '@chat-ledger/platform';
import { readStackState } from '../stack/stack-state';
import { CLI_KAFKA_CLIENT_ID, CliEnv } from './cli-command';
import { runCli } from './cli-program';

/** The Kafka connection keys of the shell, validated as the apps validate theirs. */
class CliKafkaEnv extends WithKafkaConnectionEnv(BaseEnv, { clientId: CLI_KAFKA_CLIENT_ID }) {}

/** DATABASE_URL, or DATABASE_URL_FILE as the apps read it. */
class CliDatabaseEnv extends BaseEnv {
  @EnvSecret()
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;
}

/** Where the apps keep their tables (the same keys, the same defaults). */
class CliSchemaNamesEnv extends WithSchemaNamesEnv(BaseEnv) {}

/** `npm run cli -- <command> [options]`: operator commands against the configured or running stack. */
function processEnv(): CliEnv {
  const env = process.env;
  const dataDir = resolve(env.DATA_DIR ?? '.data');
  return {
    databaseUrl: () => {
      const url = loadConfig(CliDatabaseEnv, env).DATABASE_URL ?? readStackState(dataDir)?.DATABASE_URL;
      if (!url) throw new Error('set DATABASE_URL (or DATABASE_URL_FILE), or run `npm start` first (the CLI then uses its embedded database)');
      return url;
    },
    schemaNames: () => schemaNamesFromEnv(loadConfig(CliSchemaNamesEnv, env)),
    kafkaConnection: () => {
      if (env.KAFKA_BROKERS) return loadConfig(CliKafkaEnv, env);
      const brokers = readStackState(dataDir)?.KAFKA_BROKERS;
      if (!brokers) throw new Error('set KAFKA_BROKERS, or run `npm start` first (the CLI then uses its embedded broker)');
      // The launcher's embedded broker listens in plaintext: the shell's KAFKA_SSL / KAFKA_SASL_* are not for it.
      return { KAFKA_BROKERS: brokers };
    },
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  };
}

runCli(process.argv.slice(2), processEnv()).then((code) => process.exit(code));
