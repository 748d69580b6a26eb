import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running `npm start` tells the CLI and scripts: where its embedded servers listen. */
export interface StackState {
  pid: number;
  DATABASE_URL: string;
  KAFKA_BROKERS?: string;
  gateway_url: string;
  ledger_url?: string;
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
  try {
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined; // the stack that wrote it is gone
  }
}
