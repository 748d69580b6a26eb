import { Injectable, Logger } from '@nestjs/common';
import type { IHeaders, Producer } from 'kafkajs';
import { LedgerConfig } from '../config/ledger.config';
import { LedgerMetrics } from '../metrics/ledger-metrics';
import type { ConsumedRecord, DeadLetterRow } from './consumed-record';
import { KafkaClients } from './kafka-clients';

export const DlqHeaders = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
} as const;

/**
 * Publishes rejected records to KAFKA_DLQ_TOPIC (when configured): the original key, value and headers,
 * plus dlq-* headers saying why and where from. At least once: a redelivered batch publishes again.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  private producer?: Producer;

  constructor(
    private readonly config: LedgerConfig,
    private readonly kafka: KafkaClients,
    private readonly metrics: LedgerMetrics,
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
        throw new Error(`DLQ topic ${topic} does not exist on ${this.config.KAFKA_BROKERS}: create it, or unset KAFKA_DLQ_TOPIC (see README)`);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    this.producer = this.kafka.main.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
  }

  async publish(entries: Array<{ record: ConsumedRecord; deadLetter: DeadLetterRow }>): Promise<void> {
    const topic = this.config.KAFKA_DLQ_TOPIC;
    if (!topic || entries.length === 0) return;
    if (!this.producer) throw new Error('DLQ producer is not connected');
    await this.producer.send({
      topic,
      acks: -1,
      messages: entries.map(({ record, deadLetter }) => ({
        key: record.key,
        value: record.value,
        headers: {
          ...(record.headers ?? {}),
          [DlqHeaders.reason]: deadLetter.reason,
          [DlqHeaders.error]: deadLetter.error,
          [DlqHeaders.topic]: record.topic,
          [DlqHeaders.partition]: String(record.partition),
          [DlqHeaders.offset]: record.offset,
        } as IHeaders,
      })),
    });
    this.metrics.dlqPublished.inc(undefined, entries.length);
    this.logger.debug({ msg: 'dead letters published', topic, count: entries.length });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }
}
