import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EVENT_CONTENT_TYPE, EventEnvelope, EventHeaders } from '@chat-ledger/contracts';

export interface OutboxEvent<TData> {
  envelope: EventEnvelope<string, TData>;
  /** Kafka key: the user id, so one user's events stay on one partition, in order. */
  partitionKey: string;
  traceparent?: string;
}

/**
 * Appends events to chat.outbox inside the caller's transaction: the event exists if and only if the
 * business write that produced it committed (Guarantee 1). The relay publishes it later.
 */
@Injectable()
export class OutboxWriter {
  async append<TData>(manager: EntityManager, event: OutboxEvent<TData>): Promise<void> {
    const headers: Record<string, string> = {
      [EventHeaders.eventId]: event.envelope.id,
      [EventHeaders.eventType]: event.envelope.type,
      [EventHeaders.contentType]: EVENT_CONTENT_TYPE,
      ...(event.traceparent ? { [EventHeaders.traceparent]: event.traceparent } : {}),
    };
    await manager.query(
      `INSERT INTO chat.outbox (event_id, event_type, partition_key, payload, headers)
       VALUES ($1, $2, $3, $4, $5)`,
      [event.envelope.id, event.envelope.type, event.partitionKey, JSON.stringify(event.envelope), JSON.stringify(headers)],
    );
  }
}
