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

/** SQL expressions of one outbox row's values, for {@link outboxAppendCtes}. */
export interface OutboxRowSql {
  eventId: string;
  eventType: string;
  partitionKey: string;
  /** The envelope as jsonb; the user's sequence number is added to it. */
  payload: string;
  /** The headers as jsonb; the user's sequence number is added to them. */
  headers: string;
  eraseOnPublish: string;
}

/**
 * The CTEs `outbox_lock`, `outbox_seq` and `outbox_row` that append one outbox row as part of a larger statement,
 * once per row of `from` (a relation of at most one row; none: nothing appended). The expressions may read `from`'s
 * columns. In order: the user's write lock, then the user's next sequence number (its row stays locked until commit),
 * then the row, whose id (nextval) is drawn only after both. `outbox_row` returns `id` and `user_seq`.
 */
export function outboxAppendCtes(from: string, row: OutboxRowSql): string {
  return `outbox_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext(${row.partitionKey})) AS locked FROM ${from}),
  outbox_seq AS (
    INSERT INTO outbox.user_sequences AS s (partition_key, last_seq)
    SELECT ${row.partitionKey}, 1 FROM outbox_lock
    ON CONFLICT (partition_key) DO UPDATE SET last_seq = s.last_seq + 1
    RETURNING last_seq
  ),
  outbox_row AS (
    INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers, user_seq, erase_on_publish)
    SELECT ${row.eventId}, ${row.eventType}, ${row.partitionKey},
           ${row.payload} || jsonb_build_object('user_seq', outbox_seq.last_seq),
           ${row.headers} || jsonb_build_object('${EventHeaders.userSeq}', outbox_seq.last_seq::text),
           outbox_seq.last_seq, ${row.eraseOnPublish}
      FROM outbox_seq CROSS JOIN ${from}
    RETURNING id, user_seq
  )`;
}

/**
 * The insert the writer runs ($1 event id, $2 type, $3 partition key, $4 envelope, $5 headers, $6 erase on publish),
 * returning the row id and the user's sequence number. One round trip (see {@link outboxAppendCtes}).
 */
export const OUTBOX_INSERT_SQL = `
  WITH ${outboxAppendCtes('(SELECT 1) one', {
    eventId: '$1::uuid',
    eventType: '$2::text',
    partitionKey: '$3::text',
    payload: '$4::jsonb',
    headers: '$5::jsonb',
    eraseOnPublish: 'coalesce($6::boolean, false)',
  })}
  SELECT id, user_seq FROM outbox_row`;

/** One outbox row as statement parameters: what {@link OutboxWriter.appendWith} hands its caller's statement. */
export interface OutboxRowValues {
  eventId: string;
  eventType: string;
  partitionKey: string;
  /** The envelope as JSON text. */
  payload: string;
  /** The headers as JSON text. */
  headers: string;
  eraseOnPublish: boolean;
}

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
  /** Whether this writer stores rows (the benchmark's gateway without outbox rows has one that does not). */
  get storesRows(): boolean {
    return true;
  }

  async append<TData>(manager: EntityManager, event: OutboxEvent<TData>): Promise<void> {
    await this.appendWith(event, (row) =>
      manager.query(OUTBOX_INSERT_SQL, [row.eventId, row.eventType, row.partitionKey, row.payload, row.headers, row.eraseOnPublish]),
    );
  }

  /**
   * For a caller whose own statement appends the row (with {@link outboxAppendCtes}, in the same transaction or the
   * same single statement): builds the row's values, headers included, and runs `write` in the `outbox append` span,
   * so the stored trace context is that span's, as with {@link append}.
   */
  async appendWith<TData, T>(event: OutboxEvent<TData>, write: (row: OutboxRowValues) => Promise<T>): Promise<T> {
    const attributes = { 'messaging.operation.type': 'create', 'messaging.message.id': event.envelope.id, 'chat_ledger.event_type': event.envelope.type };
    // The event's place in its trace: the relay's publish and the ledger's apply of this event are children of it.
    return tracer.startActiveSpan('outbox append', { kind: SpanKind.PRODUCER, attributes }, async (span) => {
      try {
        const traceHeaders = traceHeadersOf();
        const headers: Record<string, string> = {
          [EventHeaders.eventId]: event.envelope.id,
          [EventHeaders.eventType]: event.envelope.type,
          [EventHeaders.contentType]: EVENT_CONTENT_TYPE,
          ...(traceHeaders.traceparent ? traceHeaders : event.traceparent ? { [EventHeaders.traceparent]: event.traceparent } : {}),
        };
        return await write({
          eventId: event.envelope.id,
          eventType: event.envelope.type,
          partitionKey: event.partitionKey,
          payload: JSON.stringify(event.envelope),
          headers: JSON.stringify(headers),
          eraseOnPublish: event.eraseOnPublish ?? false,
        });
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}
