import 'reflect-metadata';
import { resolve } from 'node:path';
import { readStackState } from '../stack/stack-state';
import type { CliEnv } from './cli-command';
import { runCli } from './cli-program';

/** `npm run cli -- <command> [options]`: operator commands against the configured or running stack. */
function processEnv(): CliEnv {
  const env = process.env;
  const dataDir = resolve(env.DATA_DIR ?? '.data');
  return {
    databaseUrl: () => {
      const url = env.DATABASE_URL ?? readStackState(dataDir)?.DATABASE_URL;
      if (!url) throw new Error('set DATABASE_URL, or run `npm start` first (the CLI then uses its embedded database)');
      return url;
    },
    kafkaBrokers: () => {
      const brokers = env.KAFKA_BROKERS ?? readStackState(dataDir)?.KAFKA_BROKERS;
      if (!brokers) throw new Error('set KAFKA_BROKERS, or run `npm start` first (the CLI then uses its embedded broker)');
      return brokers.split(',').map((b) => b.trim()).filter(Boolean);
    },
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  };
}

runCli(process.argv.slice(2), processEnv()).then((code) => process.exit(code));
