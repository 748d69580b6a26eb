import { randomInt } from 'node:crypto';
import { Client, ClientConfig } from 'pg';

/**
 * What a connection string leads to: a session of its own (PostgreSQL directly, or a session-mode pool), or a
 * transaction-mode pooler (PgBouncer `pool_mode = transaction`, RDS Proxy, Supavisor's transaction port), which hands
 * the server connection to other clients between transactions.
 */
export type ConnectionMode = { mode: 'session' } | { mode: 'transaction-pooled'; reason: string };

/** Advisory lock namespace of the probe (two-int form), apart from every lock namespace of the apps. */
const PROBE_LOCK_NAMESPACE = 0x70726f62;

async function pidOf(client: Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/**
 * Tells a session from a transaction-mode pooler by what only a session guarantees, each check on statements
 * outside any transaction: (1) one connection keeps its server backend from one statement to the next; (2) a session
 * advisory lock taken by one statement is still held by the backend of the next; (3) while the first connection sits
 * idle, a second connection gets another backend (a transaction pooler gives it the idle one). A pooler that
 * happened to keep one client on one backend passes (1) and (2) but not (3).
 */
export async function detectConnectionMode(url: string, config: Omit<ClientConfig, 'connectionString'> = {}): Promise<ConnectionMode> {
  const settings = { connectionTimeoutMillis: 5_000, application_name: 'chat-ledger-session-probe', ...config, connectionString: url };
  const first = new Client(settings);
  const second = new Client(settings);
  first.on('error', () => undefined);
  second.on('error', () => undefined);
  const key = randomInt(1, 2 ** 31 - 1);
  try {
    await first.connect();
    const before = await pidOf(first);
    const locked = (await first.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [PROBE_LOCK_NAMESPACE, key])).rows[0]!.ok;
    const { rows } = await first.query<{ pid: number; held: boolean }>(
      `SELECT pg_backend_pid() AS pid,
              EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                         AND classid::int = $1 AND objid::int = $2 AND objsubid = 2) AS held`,
      [PROBE_LOCK_NAMESPACE, key],
    );
    const after = rows[0]!;
    if (after.pid !== before)
      return { mode: 'transaction-pooled', reason: `the server backend changed between two statements (pid ${before}, then ${after.pid})` };
    if (!locked || !after.held) return { mode: 'transaction-pooled', reason: 'a session advisory lock did not survive to the next statement' };
    await second.connect();
    const other = await pidOf(second);
    if (other === after.pid) {
      return { mode: 'transaction-pooled', reason: `a second connection was given the first one's server backend (pid ${other}) while the first sat idle` };
    }
    await first.query('SELECT pg_advisory_unlock($1, $2)', [PROBE_LOCK_NAMESPACE, key]);
    return { mode: 'session' };
  } finally {
    await Promise.all([first.end().catch(() => undefined), second.end().catch(() => undefined)]);
  }
}
