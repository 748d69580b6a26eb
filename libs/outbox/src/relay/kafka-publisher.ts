import { IHeaders, Kafka, KafkaConfig, Message, Partitioners, Producer } from 'kafkajs';
import { EVENT_CONTENT_TYPE, EventHeaders } from '@chat-ledger/contracts';
import { withTimeout } from '@chat-ledger/kafka';

export interface PublisherStatus {
  /** The producer is connected and the last send (if any) succeeded. */
  up: boolean;
  lastError?: string;
  lastSendOkAt?: Date;
}

/**
 * The relay's Kafka producer: acks = all, one request in flight, the Java-compatible partitioner (so
 * another producer publishing the same key picks the same partition).
 *
 * Not idempotent on purpose: kafkajs' idempotent producer needs unlimited internal retries to keep its
 * sequence numbers right, while the relay wants a send to fail fast and retry with its own backoff.
 * Duplicates from retries are allowed (the ledger dedups by event id); order holds because the relay
 * never has two sends in flight and re-sends a failed batch from its first row.
 *
 * After any failed send the producer is thrown away and a new one connects on the next send: a
 * producer that lost its connections (broker restart, network cut) can never wedge the relay.
 */
export class KafkaPublisher {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  private state: PublisherStatus = { up: false };

  constructor(
    config: KafkaConfig,
    private readonly topic: string,
    private readonly sendTimeoutMs: number,
  ) {
    this.kafka = new Kafka(config);
  }

  get client(): Kafka {
    return this.kafka;
  }

  status(): PublisherStatus {
    return { ...this.state };
  }

  async connect(): Promise<void> {
    await this.ensureProducer();
  }

  async send(messages: Message[]): Promise<void> {
    const started = Date.now();
    try {
      const producer = await this.ensureProducer();
      const remaining = Math.max(1, this.sendTimeoutMs - (Date.now() - started));
      await withTimeout(producer.send({ topic: this.topic, acks: -1, messages }), remaining, 'kafka send');
      this.state = { up: true, lastSendOkAt: new Date() };
    } catch (error) {
      this.state = { up: false, lastError: (error as Error).message, lastSendOkAt: this.state.lastSendOkAt };
      await this.reset();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.reset();
    this.state = { ...this.state, up: false };
  }

  private ensureProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    if (!this.connecting) {
      const producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        idempotent: false,
        maxInFlightRequests: 1,
      });
      producer.on(producer.events.DISCONNECT, () => {
        if (this.producer === producer) this.state = { ...this.state, up: false };
      });
      this.connecting = withTimeout(producer.connect(), this.sendTimeoutMs, 'kafka connect')
        .then(() => {
          this.producer = producer;
          this.state = { ...this.state, up: true, lastError: undefined };
          return producer;
        })
        .catch(async (error) => {
          await withTimeout(producer.disconnect(), 2_000, 'kafka disconnect').catch(() => undefined);
          throw error;
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return this.connecting;
  }

  private async reset(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await withTimeout(producer.disconnect(), 2_000, 'kafka disconnect').catch(() => undefined);
  }
}

/** Kafka headers of one row: the row's own headers (traceparent among them) with id and type from its columns. */
export function kafkaHeaders(row: { event_id: string; event_type: string; headers: Record<string, unknown> | null }): IHeaders {
  const headers: IHeaders = {};
  for (const [key, value] of Object.entries(row.headers ?? {})) if (typeof value === 'string') headers[key] = value;
  headers[EventHeaders.eventId] = row.event_id;
  headers[EventHeaders.eventType] = row.event_type;
  headers[EventHeaders.contentType] ??= EVENT_CONTENT_TYPE;
  return headers;
}
