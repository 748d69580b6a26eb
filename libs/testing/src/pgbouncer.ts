import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually } from './eventually';
import { findFreePort } from './free-port';

/** The PgBouncer binary (Debian's `pgbouncer` package), or PGBOUNCER; undefined when there is none. */
export const PGBOUNCER_BINARY = [process.env.PGBOUNCER, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p): p is string => !!p && existsSync(p));

export interface PgBouncer {
  /** `databaseUrl` with PgBouncer's address instead of the server's. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer on a free port in front of `databaseUrl`'s server, in the given pool mode, for tests of what a pooler
 * between an app and PostgreSQL does. It logs in to the server with the URL's credentials; clients are trusted.
 */
export async function startPgBouncer(databaseUrl: string, poolMode: 'session' | 'transaction' | 'statement'): Promise<PgBouncer> {
  if (!PGBOUNCER_BINARY) throw new Error('PgBouncer is not installed (apt-get install pgbouncer, or set PGBOUNCER)');
  const server = new URL(databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await findFreePort();
  writeFileSync(join(dir, 'users.txt'), `"${decodeURIComponent(server.username)}" "${decodeURIComponent(server.password)}"\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      `pool_mode = ${poolMode}`,
      'default_pool_size = 5',
      'max_client_conn = 100',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; the embedded PostgreSQL runs as `postgres` there, and so does it.
  const asUser = userInfo().uid === 0 ? ['-u', 'postgres'] : [];
  const child: ChildProcess = spawn(PGBOUNCER_BINARY, [...asUser, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const via = new URL(databaseUrl);
  via.port = String(port);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited with code ${child.exitCode}`);
        const client = new Client({ connectionString: via.toString(), connectionTimeoutMillis: 1_000 });
        await client.connect();
        await client.end();
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: via.toString(), stop };
}
