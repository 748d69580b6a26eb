import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/**
 * The small chaos run (about a minute): gateway, two relays and a ledger-consumer as OS processes,
 * concurrent acknowledged writes, and a seeded fault schedule (relay and consumer SIGKILLs, broker
 * down, broker request errors, dropped PostgreSQL connections, slow network). It fails unless nothing
 * was lost, nothing was applied twice, per-user order held and every total matches.
 */
describe('chaos run (small)', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }, 120_000);

  it('keeps every guarantee under faults', async () => {
    const seed = process.env.CHAOS_SEED ?? '20261123';
    const child = spawn(process.execPath, ['dist/tools/chaos/main.js', '--size', 'small', '--seed', seed], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: process.env.TEST_PG_SERVER_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    process.stdout.write(output);
    expect(output).toContain('| result');
    expect(code).toBe(0);
  }, 300_000);
});
