import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { issueToken } from '@chat-ledger/platform';
import { findFreePort } from '@chat-ledger/testing';
import { ChildApp } from '../../tools/stack/child-app';
import { whileRunning } from './interrupt';

/** dist/ root: this file runs as dist/bench/harness/bench-apps.js. */
export const DIST = join(__dirname, '..', '..');
/** Node flags for the apps the bench starts (set by `--profile=<dir>`: CPU profiles of each app). */
export const appNodeArgs: string[] = [];

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

export function benchToken(userId: string, scopes: string[] = []): Promise<string> {
  return issueToken({ userId, scopes, ttlSeconds: 3_600 }, BENCH_JWT_SECRET);
}

export interface RunningApp {
  app: ChildApp;
  baseUrl: string;
  /** Lines the app printed (warnings and errors help when a figure looks wrong). */
  lines: string[];
}

/** An app process that an interrupted run stops too (bench/harness/interrupt.ts). */
class BenchChildApp extends ChildApp {
  private forget?: () => void;

  override start(timeoutMs?: number): Promise<void> {
    this.forget = whileRunning(() => this.stop());
    return super.start(timeoutMs);
  }

  override async stop(timeoutMs?: number): Promise<void> {
    try {
      await super.stop(timeoutMs);
    } finally {
      this.forget?.();
    }
  }
}

/** Starts an app (dist/apps/<name>/src/main.js) as its own OS process on a free port, as in production. */
async function startApp(name: 'chat-gateway' | 'ledger-consumer' | 'outbox-relay', env: Record<string, string>, script?: string): Promise<RunningApp> {
  const port = await findFreePort();
  const lines: string[] = [];
  const app = new BenchChildApp({
    name,
    script: script ?? join(DIST, `apps/${name}/src/main.js`),
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(name === 'outbox-relay' ? { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' } : {}),
      JWT_SECRET: BENCH_JWT_SECRET,
      DB_MIGRATE: 'false',
      ...env,
    },
    readyWhen: (line) => line.includes(name === 'outbox-relay' ? 'outbox relay running' : `${name} listening`),
    nodeArgs: appNodeArgs,
    onLine: (line) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
    },
  });
  await app.start();
  return { app, baseUrl: `http://127.0.0.1:${port}`, lines };
}

/**
 * chat-gateway, measured over HTTP. Writes are not rate limited (one user sends hundreds per second here). With
 * `withoutOutbox`, the benchmark's build whose use cases write no outbox rows (bench/apps/gateway-without-outbox.ts).
 */
export function startGateway(env: Record<string, string>, options: { withoutOutbox?: boolean } = {}): Promise<RunningApp> {
  const script = options.withoutOutbox ? join(DIST, 'bench/apps/gateway-without-outbox.js') : undefined;
  return startApp('chat-gateway', { RATE_LIMIT_WRITES_PER_SECOND: '0', ...env }, script);
}

/** The standalone relay (apps/outbox-relay, as docker-compose runs it beside the gateway), /metrics on its port. */
export function startRelay(env: Record<string, string>): Promise<RunningApp> {
  return startApp('outbox-relay', env);
}

/**
 * ledger-consumer with its default settings; ready once its consumer joined the group (it logs "listening"
 * after that). Every start uses a group of its own and leaves it on stop, so the join never waits out a
 * previous member's session.
 */
export function startLedger(env: Record<string, string>): Promise<RunningApp> {
  return startApp('ledger-consumer', env);
}

/**
 * Runs a bench/load script in its own process and parses the JSON it prints last. An interrupted run stops it too
 * (a SIGTERM sent to the bench alone would not reach it).
 */
export function runLoadProcess<T>(script: string, plan: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(DIST, 'bench/load', script), JSON.stringify(plan)],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        forget();
        if (error) return reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`${script} printed no result: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
        }
      },
    );
    const forget = whileRunning(async () => void child.kill('SIGTERM'));
  });
}
