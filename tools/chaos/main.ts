import 'reflect-metadata';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedPostgresServer } from '@chat-ledger/database';
import { findFreePort } from '@chat-ledger/testing';
import { runChaos } from './chaos-run';
import { ManagedProcess } from './managed-process';
import { formatChaosSummary } from './summary-table';

export const CHAOS_SIZES = {
  small: { messages: 2_500, users: 40, concurrency: 12, loadMs: 30_000, faultRounds: 1, partitions: 16, ledgers: 2 },
  long: { messages: 100_000, users: 400, concurrency: 24, loadMs: 30 * 60_000, faultRounds: 4, partitions: 32, ledgers: 2 },
} as const;

/** `npm run test:chaos -- [--size small|long] [--seed N] [--messages N]` */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { size: { type: 'string', default: 'small' }, seed: { type: 'string' }, messages: { type: 'string' }, ledgers: { type: 'string' } },
  });
  const size = CHAOS_SIZES[values.size as keyof typeof CHAOS_SIZES];
  if (!size) throw new Error('--size must be small or long');
  const seed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 1e9);
  const messages = values.messages ? Number(values.messages) : size.messages;
  const workDir = mkdtempSync(join(tmpdir(), 'chat-ledger-chaos-'));
  chmodSync(workDir, 0o755);
  const env = process.env;
  let pg: EmbeddedPostgresServer | undefined;
  let pgServerUrl = env.DATABASE_URL;
  if (!pgServerUrl) {
    pg = await EmbeddedPostgresServer.start({
      dataDir: join(workDir, 'pg'),
      port: await findFreePort(),
      persistent: false,
      postgresFlags: ['-c', 'max_connections=300'],
    });
    pgServerUrl = pg.url;
  }
  const interrupt = async () => {
    process.stdout.write('interrupted: stopping the stack\n');
    await Promise.all([...ManagedProcess.running].map((p) => p.stop(5_000).catch(() => undefined)));
    await pg?.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupt());
  process.once('SIGTERM', () => void interrupt());
  process.stdout.write(`chaos run: size ${values.size}, seed ${seed}, ${messages} messages; logs in ${workDir}\n`);
  try {
    const summary = await runChaos({
      seed,
      ...size,
      messages,
      ledgers: values.ledgers ? Number(values.ledgers) : size.ledgers,
      drainTimeoutMs: 180_000,
      pgServerUrl,
      distDir: resolve(__dirname, '..', '..'),
      workDir,
      log: (line) => process.stdout.write(line + '\n'),
    });
    process.stdout.write('\n' + formatChaosSummary(summary) + '\n');
    return summary.problems.length === 0 ? 0 : 1;
  } finally {
    await pg?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`chaos run failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
