import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import { EVENT_CONTENT_TYPE, EventEnvelope, EventHeaders } from '@chat-ledger/contracts';
import { traceHeadersOf } from '@chat-ledger/telemetry';
import { OutboxLock } from '../outbox-locks';

export interface OutboxEvent<TData> {
  envelope: EventEnvelope<string, TData>;
  /** Kafka key: the user id, so one user's events stay on one partition, in order. */
  partitionKey: string;
  /**
   * The caller's W3C `traceparent` (a request header), stored while tracing is off in this process; with tracing on
   * the row stores the context of its own `outbox append` span, which continues the caller's trace anyway.
   */
  traceparent?: string;
  /** Delete the row once published instead of keeping it for replays (an erased user's rows). */
  eraseOnPublish?: boolean;
}

const tracer = trace.getTracer('@chat-ledger/outbox');

/**
 * The insert the writer runs ($1 event id, $2 type, $3 partition key, $4 envelope, $5 headers), returning the
 * row id and the user's sequence number. One round trip: the user lock, then the user's next sequence
 * number (its row stays locked until commit), then the row, whose id (nextval) is drawn only after both.
 */
export const OUTBOX_INSERT_SQL = `
  WITH user_lock AS (SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext($3::text))),
  seq AS (
    INSERT INTO outbox.user_sequences AS s (partition_key, last_seq)
    SELECT $3::text, 1 FROM user_lock
    ON CONFLICT (partition_key) DO UPDATE SET last_seq = s.last_seq + 1
    RETURNING last_seq
  )
  INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers, user_seq, erase_on_publish)
  SELECT $1::uuid, $2::text, $3::text,
         $4::jsonb || jsonb_build_object('user_seq', seq.last_seq),
         $5::jsonb || jsonb_build_object('${EventHeaders.userSeq}', seq.last_seq::text),
         seq.last_seq, coalesce($6::boolean, false)
    FROM seq
  RETURNING id, user_seq`;

/**
 * Appends events to outbox.events inside the caller's transaction: the event exists if and only if the
 * business write that produced it committed (Guarantee 1). The relay publishes it later.
 *
 * Per-user order (Guarantee 3) is outbox id order, and the relay can only keep it if one user's rows
 * become visible in id order. Ids come from a sequence at insert time, so two concurrent transactions
 * of one user could commit out of id order (the later id first) and the relay would publish them
 * swapped. The insert therefore first takes a transaction-level advisory lock on the user
 * (partition key): a second transaction of the same user waits until the first commits, and only then
 * draws its id. Different users never wait for each other (hash collisions aside). A transaction that
 * appends events of several users should append them in a stable order (e.g. sorted by user id) so
 * two such transactions cannot deadlock.
 */
@Injectable()
export class OutboxWriter {
  async append<TData>(manager: EntityManager, event: OutboxEvent<TData>): Promise<void> {
    const attributes = { 'messaging.operation.type': 'create', 'messaging.message.id': event.envelope.id, 'chat_ledger.event_type': event.envelope.type };
    // The event's place in its trace: the relay's publish and the ledger's apply of this event are children of it.
    await tracer.startActiveSpan('outbox append', { kind: SpanKind.PRODUCER, attributes }, async (span) => {
      try {
        const traceHeaders = traceHeadersOf();
        const headers: Record<string, string> = {
          [EventHeaders.eventId]: event.envelope.id,
          [EventHeaders.eventType]: event.envelope.type,
          [EventHeaders.contentType]: EVENT_CONTENT_TYPE,
          ...(traceHeaders.traceparent ? traceHeaders : event.traceparent ? { [EventHeaders.traceparent]: event.traceparent } : {}),
        };
        await manager.query(OUTBOX_INSERT_SQL, [
          event.envelope.id,
          event.envelope.type,
          event.partitionKey,
          JSON.stringify(event.envelope),
          JSON.stringify(headers),
          event.eraseOnPublish ?? false,
        ]);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}
