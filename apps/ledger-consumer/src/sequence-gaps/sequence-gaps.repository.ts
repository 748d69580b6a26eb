import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { rfc3339 } from '@chat-ledger/database';

export interface SequenceAnomalyRow {
  id: string;
  user_id: string;
  kind: 'gap' | 'reorder';
  expected_seq: string;
  seen_seq: string;
  event_id: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  detected_at: string;
}

@Injectable()
export class SequenceGapsRepository {
  /** Newest first, keyset on id. */
  async list(manager: EntityManager, filter: { userId?: string; kind?: string; beforeId?: string; limit: number }): Promise<SequenceAnomalyRow[]> {
    return manager.query(
      `SELECT id::text, user_id, kind, expected_seq::text, seen_seq::text, event_id, kafka_topic, kafka_partition, kafka_offset::text,
              ${rfc3339('detected_at')} AS detected_at
         FROM ledger.sequence_anomalies
        WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id < $3::bigint)
        ORDER BY id DESC
        LIMIT $4`,
      [filter.userId ?? null, filter.kind ?? null, filter.beforeId ?? null, filter.limit],
    );
  }

  async counts(manager: EntityManager): Promise<{ gaps: number; reorders: number; users: number }> {
    const [row] = await manager.query(
      `SELECT count(*) FILTER (WHERE kind = 'gap')::int AS gaps, count(*) FILTER (WHERE kind = 'reorder')::int AS reorders,
              count(DISTINCT user_id)::int AS users FROM ledger.sequence_anomalies`,
    );
    return row;
  }
}
