import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';

export interface DeadLetterRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  /** The first bytes of key and value only (a record may be up to the topic's limit). */
  key_head: Buffer | null;
  value_head: Buffer | null;
  key_bytes: number | null;
  value_bytes: number | null;
  headers: unknown;
  reason: string;
  error: string;
  event_id: string | null;
  event_type: string | null;
  kafka_timestamp: string | null;
  received_at: string;
  dlq_published_at: string | null;
}

/** Read side of ledger.dead_letters (written with each batch by the apply path). */
@Injectable()
export class DeadLettersRepository {
  /** Newest first, keyset on id; key and value cut to `headBytes` in the database. */
  async list(manager: EntityManager, filter: { reason?: string; beforeId?: string; limit: number; headBytes: number }): Promise<DeadLetterRow[]> {
    return manager.query(
      `SELECT id::text, topic, partition, "offset"::text AS "offset",
              substring(key FROM 1 FOR $4) AS key_head, substring(value FROM 1 FOR $4) AS value_head,
              octet_length(key) AS key_bytes, octet_length(value) AS value_bytes,
              headers, reason, error, event_id, event_type,
              ${rfc3339('kafka_timestamp')} AS kafka_timestamp, ${rfc3339('received_at')} AS received_at,
              ${rfc3339('dlq_published_at')} AS dlq_published_at
         FROM ledger.dead_letters
        WHERE ($1::text IS NULL OR reason = $1) AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC
        LIMIT $3`,
      [filter.reason ?? null, filter.beforeId ?? null, filter.limit, filter.headBytes],
    );
  }

  async counts(manager: EntityManager): Promise<{ total: number; dlq_unpublished: number; by_reason: Record<string, number> }> {
    const rows: Array<{ reason: string; n: number; unpublished: number }> = await manager.query(
      `SELECT reason, count(*)::int AS n, count(*) FILTER (WHERE dlq_published_at IS NULL)::int AS unpublished
         FROM ledger.dead_letters GROUP BY reason ORDER BY reason`,
    );
    return {
      total: rows.reduce((sum, r) => sum + r.n, 0),
      dlq_unpublished: rows.reduce((sum, r) => sum + r.unpublished, 0),
      by_reason: Object.fromEntries(rows.map((r) => [r.reason, r.n])),
    };
  }
}
