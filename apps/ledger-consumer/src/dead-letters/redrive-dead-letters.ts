import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { HeaderJson } from '../ingest/consumed-record';
import { DlqEntry, dlqMessage, headersFromJson, MARK_DLQ_PUBLISHED_SQL } from '../ingest/dead-letter-publisher';

export interface RedriveOptions {
  db: DataSource;
  producer: Producer;
  topic: string;
  /** Rows per send. */
  batchSize?: number;
  /** Stop after this many rows (default: all). */
  limit?: number;
  dryRun?: boolean;
}

export interface RedriveReport {
  /** Dead letters without a DLQ copy when the run started. */
  pending: number;
  published: number;
  /** Rows the topic refused one by one (e.g. still too large for it); they stay unpublished. */
  refused: Array<{ id: string; error: string }>;
}

const NEXT_SQL = `
SELECT id::text, topic, partition, "offset"::text AS "offset", key, value, headers, reason, error
  FROM ledger.dead_letters
 WHERE dlq_published_at IS NULL AND id > $1
 ORDER BY id
 LIMIT $2`;

/**
 * Publishes the dead letters whose DLQ copy failed (dlq_published_at null) in id order, marking each
 * batch once Kafka acknowledged it. A batch the topic refuses is retried one record at a time so one
 * record that can never fit does not hold back the others; broker errors stop the run (try again later).
 */
export async function redriveDeadLetters(o: RedriveOptions): Promise<RedriveReport> {
  const batchSize = o.batchSize ?? 200;
  const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
  const [{ n }] = await o.db.query(`SELECT count(*)::int AS n FROM ledger.dead_letters WHERE dlq_published_at IS NULL`);
  const report: RedriveReport = { pending: n, published: 0, refused: [] };
  if (o.dryRun) return report;
  let after = '0';
  let seen = 0;
  while (seen < limit) {
    const rows: Array<{
      id: string;
      topic: string;
      partition: number;
      offset: string;
      key: Buffer | null;
      value: Buffer | null;
      headers: HeaderJson[];
      reason: string;
      error: string;
    }> = await o.db.query(NEXT_SQL, [after, Math.min(batchSize, limit - seen)]);
    if (rows.length === 0) break;
    seen += rows.length;
    after = rows[rows.length - 1]!.id;
    const entries = rows.map((r) => ({ row: r, entry: { ...r, headers: headersFromJson(r.headers) } as DlqEntry }));
    const publish = async (batch: typeof entries) => {
      await o.producer.send({ topic: o.topic, acks: -1, messages: batch.map((b) => dlqMessage(b.entry)) });
      await o.db.query(MARK_DLQ_PUBLISHED_SQL, [JSON.stringify(batch.map((b) => ({ topic: b.row.topic, partition: b.row.partition, offset: b.row.offset })))]);
      report.published += batch.length;
    };
    try {
      await publish(entries);
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== false) throw error;
      for (const one of entries) {
        try {
          await publish([one]);
        } catch (single) {
          if ((single as { retriable?: boolean }).retriable !== false) throw single;
          report.refused.push({ id: one.row.id, error: (single as Error).message });
        }
      }
    }
  }
  return report;
}
