import type { ClientBase } from 'pg';

export interface ClaimedRow {
  /** bigint as string (pg). */
  id: string;
  event_id: string;
  event_type: string;
  partition_key: string;
  shard: number;
  /** The envelope as JSON text: the Kafka value. */
  payload: string;
  headers: Record<string, unknown> | null;
  /** Failed attempts so far. */
  attempts: number;
}

/**
 * Due pending rows of the given shards, in id order, locked for this transaction.
 *
 * The ordering rule: a row that is *blocked* — dead, or waiting for a retry (attempts > 0 and
 * next_attempt_at in the future) — holds back every later row of its own user (partition key), so a
 * user's next event never overtakes an event of theirs that failed. Other users, in the same shard or
 * not, go on. A skipped row (an operator's decision, audited) blocks nobody.
 *
 * Rows that never failed (attempts = 0) are due regardless of next_attempt_at: that column defaults to
 * the writer's transaction start, which may lie after this statement's now() for a row that
 * committed meanwhile, and skipping such a row could let a later row of its user go first.
 *
 * The rows are locked FOR KEY SHARE, the weakest lock, and SKIP LOCKED never skips a pending row in practice:
 * only a DELETE (or a key change, which nothing makes) conflicts with it, and nothing deletes a pending row but
 * this relay's own mark; other relays never claim these shards, whose lease (advisory lock) this relay holds on
 * the session that runs this transaction (if that session dies, its transaction dies with it). The one other
 * writer of pending rows, an erasure flagging erase_on_publish, takes a row lock that does not conflict with
 * KEY SHARE: with FOR UPDATE the claim would skip the rows an erasure had reached so far and take that user's
 * later rows, which would overtake them. The mark reads the flag (markPublished).
 */
export const CLAIM_SQL = `
  WITH blocked AS MATERIALIZED (
    SELECT b.partition_key, min(b.id) AS first_blocked
      FROM outbox.events b
     WHERE b.shard = ANY($1::smallint[])
       AND (b.status = 'dead' OR (b.status = 'pending' AND b.attempts > 0))
       AND (b.status = 'dead' OR b.next_attempt_at > now())
     GROUP BY b.partition_key
  )
  SELECT o.id, o.event_id, o.event_type, o.partition_key, o.shard, o.payload::text AS payload, o.headers, o.attempts
    FROM outbox.events o
   WHERE o.status = 'pending'
     AND o.shard = ANY($1::smallint[])
     AND (o.attempts = 0 OR o.next_attempt_at <= now())
     AND NOT EXISTS (SELECT 1 FROM blocked k WHERE k.partition_key = o.partition_key AND k.first_blocked < o.id)
   ORDER BY o.id
   LIMIT $2
     FOR KEY SHARE OF o SKIP LOCKED`;

export async function claimBatch(client: ClientBase, shards: readonly number[], limit: number): Promise<ClaimedRow[]> {
  const { rows } = await client.query<ClaimedRow>(CLAIM_SQL, [shards, limit]);
  return rows;
}

/**
 * Marks the sent rows published; rows flagged erase_on_publish (an erased user's) are deleted instead.
 *
 * One UPDATE is the whole mark for a batch without flagged rows (almost every batch). Only when it took fewer rows
 * than were sent does the DELETE run, and it takes just the pending flagged ones: the rows this UPDATE marked read
 * 'published' inside the same transaction. A row flagged after its claim (an erasure that ran between the claim and
 * the mark) is caught the same way, so the flag is read when the row is marked, never trusted from the claim.
 */
export async function markPublished(client: ClientBase, ids: readonly string[]): Promise<number> {
  const marked = await client.query(
    `UPDATE outbox.events SET status = 'published', published_at = now(), attempts = attempts + 1
      WHERE id = ANY($1::bigint[]) AND status = 'pending' AND NOT erase_on_publish`,
    [ids],
  );
  const n = marked.rowCount ?? 0;
  if (n === ids.length) return n;
  const erased = await client.query(`DELETE FROM outbox.events WHERE id = ANY($1::bigint[]) AND status = 'pending' AND erase_on_publish`, [ids]);
  return n + (erased.rowCount ?? 0);
}

/**
 * The broker was unreachable (not the rows' fault): the error is kept for operators, nothing else changes;
 * the rows stay due and the relay backs off as a whole. No outage, however long, makes a row dead.
 */
export async function noteBrokerError(client: ClientBase, ids: readonly string[], error: string): Promise<void> {
  await client.query(`UPDATE outbox.events SET last_error = $2 WHERE id = ANY($1::bigint[]) AND status = 'pending'`, [ids, error.slice(0, 2_000)]);
}

/**
 * One failed attempt for each row (an error about the record itself): attempts + 1, the error kept, the next attempt after the row's own
 * backoff delay, or `dead` once the attempt limit is reached. Returns how many rows died.
 */
export async function markFailed(
  client: ClientBase,
  rows: ReadonlyArray<{ id: string; delayMs: number }>,
  error: string,
  maxAttempts: number,
): Promise<number> {
  const result = await client.query<{ status: string }>(
    `UPDATE outbox.events o
        SET attempts = o.attempts + 1,
            last_error = $3,
            next_attempt_at = now() + u.delay_ms * interval '1 millisecond',
            status = CASE WHEN o.attempts + 1 >= $4 THEN 'dead' ELSE 'pending' END
       FROM unnest($1::bigint[], $2::int[]) AS u(id, delay_ms)
      WHERE o.id = u.id AND o.status = 'pending'
  RETURNING o.status`,
    [rows.map((r) => r.id), rows.map((r) => r.delayMs), error.slice(0, 2_000), maxAttempts],
  );
  return result.rows.filter((r) => r.status === 'dead').length;
}

/** Deletes up to `limit` published rows older than the retention window; returns how many. */
export const DELETE_EXPIRED_SQL = `
  DELETE FROM outbox.events
   WHERE id IN (SELECT id FROM outbox.events
                 WHERE status = 'published' AND published_at < now() - $1::bigint * interval '1 millisecond'
                 ORDER BY published_at
                 LIMIT $2
                   FOR UPDATE SKIP LOCKED)`;

/** Numbers for /metrics, read at scrape time (each from a partial index). */
export const OUTBOX_GAUGES_SQL = `
  SELECT (SELECT count(*) FROM outbox.events WHERE status = 'pending')::bigint AS pending,
         (SELECT count(*) FROM outbox.events WHERE status = 'dead')::bigint AS dead,
         (SELECT EXTRACT(EPOCH FROM (now() - created_at))::float8 FROM outbox.events
           WHERE status = 'pending' ORDER BY id LIMIT 1) AS oldest_pending_age_seconds`;
