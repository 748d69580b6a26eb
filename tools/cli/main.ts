import 'reflect-metadata';
import { resolve } from 'node:path';
import { readStackState } from '../stack/stack-state';
import type { CliEnv } from './cli-command';
import { COMMANDS } from './commands';

/** `npm run cli -- <command> [options]`: operator commands against the configured or running stack. */
async function main(argv: string[]): Promise<number> {
  const env = process.env;
  const dataDir = resolve(env.DATA_DIR ?? '.data');
  const cliEnv: CliEnv = {
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
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    cliEnv.err(name && name !== 'help' ? `unknown command: ${name}\n` : '');
    cliEnv.err('usage: npm run cli -- <command> [options]\n\ncommands:');
    for (const c of COMMANDS) cliEnv.err(`  ${c.usage}\n      ${c.summary}`);
    return name && name !== 'help' ? 2 : 0;
  }
  try {
    return await command.run(rest, cliEnv);
  } catch (error) {
    cliEnv.err(`${command.name}: ${(error as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
