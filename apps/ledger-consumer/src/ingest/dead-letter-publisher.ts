import { Injectable, Logger } from '@nestjs/common';
import { type IHeaders, type Message, Partitioners, type Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { withTimeout } from '@chat-ledger/kafka';
import { LedgerConfig } from '../config/ledger.config';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import type { ConsumedRecord, DeadLetterRow, HeaderJson, HeaderText } from './consumed-record';
import { KafkaClients } from './kafka-clients';

export const DlqHeaders = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
} as const;

/** Where a dead letter came from: its key in ledger.dead_letters. */
export interface DeadLetterPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** One DLQ record: the original key, value and headers, plus dlq-* headers saying why and where from. */
export interface DlqEntry extends DeadLetterPosition {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  reason: string;
  error: string;
}

export function dlqEntryOf(record: ConsumedRecord, deadLetter: DeadLetterRow): DlqEntry {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    headers: record.headers ?? {},
    reason: deadLetter.reason,
    error: deadLetter.error,
  };
}

function headerBytes(text: HeaderText): string | Buffer {
  return typeof text === 'string' ? text : Buffer.from(text.base64, 'base64');
}

/** Headers as stored in ledger.dead_letters (see headersToJson), back to Kafka headers. */
export function headersFromJson(headers: HeaderJson[]): IHeaders {
  const out: IHeaders = {};
  for (const h of headers) {
    if (h.value === null) continue;
    const key = String(headerBytes(h.key));
    const value = headerBytes(h.value);
    const existing = out[key];
    out[key] = existing === undefined ? value : ([] as Array<string | Buffer>).concat(existing as string | Buffer, value);
  }
  return out;
}

export function dlqMessage(entry: DlqEntry): Message {
  return {
    key: entry.key,
    value: entry.value,
    headers: {
      ...entry.headers,
      [DlqHeaders.reason]: entry.reason,
      // Header values are bytes without a size limit of their own; a long error only needs its start.
      [DlqHeaders.error]: entry.error.slice(0, 2000),
      [DlqHeaders.topic]: entry.topic,
      [DlqHeaders.partition]: String(entry.partition),
      [DlqHeaders.offset]: entry.offset,
    },
  };
}

/** kafkajs marks errors about the request itself (too large, invalid, not authorized) as not retriable. */
function isRetriable(error: unknown): boolean {
  return (error as { retriable?: boolean })?.retriable !== false;
}

export interface DlqOutcome {
  published: number;
  unpublished: number;
  error?: string;
}

export const MARK_DLQ_PUBLISHED_SQL = `
UPDATE ledger.dead_letters d SET dlq_published_at = now()
  FROM jsonb_to_recordset($1::jsonb) AS p(topic text, partition integer, "offset" bigint)
 WHERE d.topic = p.topic AND d.partition = p.partition AND d."offset" = p."offset" AND d.dlq_published_at IS NULL`;

/**
 * Copies rejected records to KAFKA_DLQ_TOPIC (when configured). The copy is best effort: the record of
 * truth is the row in ledger.dead_letters, committed with its batch. A failed copy never holds the
 * partition: it is tried a bounded number of times, then left with `dlq_published_at` null, counted in
 * ledger_dlq_unpublished_total and logged, for `npm run cli -- ledger:dlq-redrive` to publish later.
 * At least once: a redelivered batch (or a redrive) publishes again.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  private producer?: Producer;

  constructor(
    private readonly config: LedgerConfig,
    private readonly kafka: KafkaClients,
    private readonly metrics: LedgerMetrics,
    private readonly dataSource: DataSource,
  ) {}

  get enabled(): boolean {
    return this.config.KAFKA_DLQ_TOPIC !== undefined;
  }

  /** Checks that the DLQ topic exists (apps never create topics) and connects the producer. */
  async start(): Promise<void> {
    const topic = this.config.KAFKA_DLQ_TOPIC;
    if (!topic) return;
    const admin = this.kafka.main.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) {
        throw new Error(`DLQ topic ${topic} does not exist on ${this.config.KAFKA_BROKERS}: create it, or unset KAFKA_DLQ_TOPIC (see docs/operations.md)`);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // Java's partitioner (murmur2 of the key), which kafkajs uses by default since 2.0: named, so it does not warn.
    this.producer = this.kafka.dlq.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  /**
   * Publishes the batch's dead letters, at most DLQ_PUBLISH_ATTEMPTS tries of DLQ_PUBLISH_TIMEOUT each
   * (heartbeating in between), then marks what was published. When the topic refuses a record (too
   * large, not authorized), the others are published one by one so that only the refused ones stay
   * behind. Never throws for Kafka errors: the caller commits its offsets either way.
   */
  async publishBounded(entries: DlqEntry[], heartbeat: () => Promise<void>): Promise<DlqOutcome> {
    const topic = this.config.KAFKA_DLQ_TOPIC;
    if (!topic || entries.length === 0) return { published: 0, unpublished: 0 };
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.config.DLQ_PUBLISH_ATTEMPTS; attempt++) {
      try {
        await this.send(topic, entries);
        return this.done(entries, []);
      } catch (error) {
        lastError = error;
        if (!isRetriable(error)) break;
        this.metrics.batchRetries.inc({ step: 'dlq' });
        if (attempt < this.config.DLQ_PUBLISH_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          await heartbeat();
        }
      }
    }
    if (isRetriable(lastError) || entries.length === 1) return this.done([], entries, lastError);
    // One record is refused for what it is: the rest still get their copy.
    const published: DlqEntry[] = [];
    const refused: DlqEntry[] = [];
    for (const entry of entries) {
      try {
        await this.send(topic, [entry]);
        published.push(entry);
      } catch (error) {
        lastError = error;
        refused.push(entry);
        if (isRetriable(error)) {
          // The broker itself went away meanwhile: stop trying, keep the rest for the redrive.
          refused.push(...entries.slice(entries.indexOf(entry) + 1));
          break;
        }
      }
      await heartbeat();
    }
    return this.done(published, refused, lastError);
  }

  /** One send to the DLQ topic within DLQ_PUBLISH_TIMEOUT. Used by the redrive too. */
  async send(topic: string, entries: DlqEntry[]): Promise<void> {
    if (!this.producer) throw new Error('DLQ producer is not connected');
    await withTimeout(this.producer.send({ topic, acks: -1, messages: entries.map(dlqMessage) }), this.config.DLQ_PUBLISH_TIMEOUT, 'DLQ send');
  }

  async markPublished(positions: DeadLetterPosition[]): Promise<void> {
    if (positions.length === 0) return;
    await this.dataSource.query(MARK_DLQ_PUBLISHED_SQL, [JSON.stringify(positions.map(({ topic, partition, offset }) => ({ topic, partition, offset })))]);
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private async done(published: DlqEntry[], unpublished: DlqEntry[], error?: unknown): Promise<DlqOutcome> {
    if (published.length > 0) {
      this.metrics.dlqPublished.inc(published.length);
      // The copy is on the topic; failing to note it only means a redrive publishes it once more.
      await this.markPublished(published).catch((e) =>
        this.logger.warn({ msg: 'could not mark dead letters as published to the DLQ topic', error: (e as Error).message, count: published.length }),
      );
    }
    const message = error === undefined ? undefined : ((error as Error)?.message ?? String(error));
    if (unpublished.length > 0) {
      this.metrics.dlqUnpublished.inc(unpublished.length);
      this.logger.warn({
        msg: 'dead letters kept in ledger.dead_letters but not copied to the DLQ topic; run ledger:dlq-redrive later',
        topic: this.config.KAFKA_DLQ_TOPIC,
        count: unpublished.length,
        first: { topic: unpublished[0]!.topic, partition: unpublished[0]!.partition, offset: unpublished[0]!.offset },
        error: message,
      });
    }
    return { published: published.length, unpublished: unpublished.length, ...(message ? { error: message } : {}) };
  }
}
