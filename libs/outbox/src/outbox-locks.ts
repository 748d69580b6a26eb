/**
 * PostgreSQL advisory lock keys of the outbox, two-int form `(namespace, key)`. Advisory locks are per
 * database, so relays of different databases on one server never see each other.
 */
export const OutboxLock = {
  /** Session lock `(relayMember, backend pid)`: held by every live relay on its worker connection. */
  relayMember: 0x6f627801,
  /** Session lock `(shardLease, shard)`: the relay holding it is the only one publishing that shard. */
  shardLease: 0x6f627802,
  /** Transaction lock `(userWrite, hashtext(partition_key))` taken by OutboxWriter before the insert. */
  userWrite: 0x6f627803,
} as const;

/** application_name prefix of relay worker connections; the rest is the relay instance id. */
export const RELAY_APPLICATION_PREFIX = 'outbox-relay/';

export interface RelayLease {
  /** Relay instance id (from the connection's application_name). */
  instance_id: string;
  /** PostgreSQL backend pid of the relay's worker connection. */
  pid: number;
  connected_at: string | null;
  shards: number[];
}

export interface SqlQueryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** The lock rows of live relays in the current database (member locks and shard leases). */
export const RELAY_LOCKS_SQL = `
  SELECT l.pid, l.classid::int AS ns, l.objid::bigint AS key
    FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.classid::int IN (${OutboxLock.relayMember}, ${OutboxLock.shardLease})`;

/**
 * Live relays and the shards they hold, read from pg_locks (the truth: a relay whose session ended holds
 * nothing) and pg_stat_activity (its instance id). Used by the admin stats and the relays themselves.
 */
export async function readRelayLeases(db: SqlQueryable): Promise<RelayLease[]> {
  const rows = (await db.query(
    `WITH locks AS (${RELAY_LOCKS_SQL})
     SELECT m.pid,
            COALESCE(a.application_name, '') AS application_name,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS connected_at,
            COALESCE((SELECT array_agg(s.key::int ORDER BY s.key) FROM locks s
                       WHERE s.pid = m.pid AND s.ns = ${OutboxLock.shardLease}), '{}') AS shards
       FROM locks m
       LEFT JOIN pg_stat_activity a ON a.pid = m.pid
      WHERE m.ns = ${OutboxLock.relayMember}
      ORDER BY m.pid`,
  )) as Array<{ pid: number; application_name: string; connected_at: string | null; shards: number[] }>;
  return rows.map((r) => ({
    instance_id: r.application_name.startsWith(RELAY_APPLICATION_PREFIX)
      ? r.application_name.slice(RELAY_APPLICATION_PREFIX.length)
      : r.application_name || `pid:${r.pid}`,
    pid: r.pid,
    connected_at: r.connected_at,
    shards: r.shards,
  }));
}
