import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '@chat-ledger/database';

/** What a running `npm start` tells the CLI and scripts: where its embedded servers listen. */
export interface StackState {
  pid: number;
  DATABASE_URL: string;
  KAFKA_BROKERS?: string;
  gateway_url: string;
  ledger_url?: string;
  /** App processes started by that launcher, so a later start can stop them if the launcher was SIGKILLed. */
  child_pids?: number[];
}

const FILE = 'stack.json';

export function writeStackState(dataDir: string, state: StackState): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export function clearStackState(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

export function readStackState(dataDir: string): StackState | undefined {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  return isAlive(state.pid) ? state : undefined; // undefined: the stack that wrote it is gone
}

/**
 * A launcher killed with SIGKILL leaves its app processes running (holding their ports). Stops those
 * that are still alive and still ours (their command line points into this dist folder).
 */
export async function stopStaleApps(dataDir: string, distDir: string, say: (line: string) => void): Promise<void> {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return;
  const state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  if (isAlive(state.pid)) throw new Error(`npm start is already running from ${dataDir} (pid ${state.pid})`);
  for (const pid of state.child_pids ?? []) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(distDir)) continue;
    say(`stopping app process ${pid} left by an earlier run`);
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
}
