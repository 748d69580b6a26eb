import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { uuidv7 } from '@chat-ledger/contracts';
import { buildDataSourceOptions, runMigrations } from '@chat-ledger/database';
import { lineSink, loadConfig, MetricsModule, PinoLogger } from '@chat-ledger/platform';
import { createTestDatabase, eventually } from '@chat-ledger/testing';
import { OUTBOX_MIGRATIONS } from '../src/database/outbox-migrations';
import { OUTBOX_SCHEMA } from '../src/outbox-schema';
import { OutboxWriter } from '../src/writer/outbox-writer';
import { OutboxRelay, OutboxRelayOptions } from '../src/relay/outbox-relay';
import { OutboxRelayModule, OutboxRelayService } from '../src/relay/outbox-relay.module';
import { OutboxRelayEnv } from '../src/relay/relay.env';

/** Test support for the relay: a migrated database, event writers, relays as Nest contexts, a topic reader. */

export async function migratedDatabase(prefix = 'outbox'): Promise<{ url: string; dataSource: DataSource }> {
  const url = await createTestDatabase(prefix);
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, schema: OUTBOX_SCHEMA, migrations: OUTBOX_MIGRATIONS, poolSize: 10, applicationName: 'outbox-test' }),
  );
  await dataSource.initialize();
  await runMigrations(dataSource, OUTBOX_SCHEMA);
  return { url, dataSource };
}

export interface WrittenEvent {
  eventId: string;
  userId: string;
  seq: number;
}

/** A small envelope; `padding` adds that many bytes (the relay does not look inside). */
export function anEnvelope(userId: string, seq: number, padding = 0) {
  return {
    id: uuidv7(),
    type: 'ledger.tokens.adjusted',
    version: 1,
    source: 'relay-test',
    occurred_at: new Date().toISOString().replace('Z', '000Z'),
    data: { user_id: userId, seq, tokens_delta: 1, reason: 'test', ...(padding > 0 ? { padding: 'p'.repeat(padding) } : {}) },
  };
}

/**
 * Writes `perUser` events for each user through OutboxWriter, `perTx` events per transaction, with
 * `concurrency` writers; each user's events are written in sequence order (so id order = seq order).
 */
export async function writeEvents(
  dataSource: DataSource,
  users: string[],
  perUser: number,
  { perTx = 10, concurrency = 6, traceparent, padding = 0 }: { perTx?: number; concurrency?: number; traceparent?: string; padding?: number } = {},
): Promise<WrittenEvent[]> {
  const writer = new OutboxWriter();
  const written: WrittenEvent[] = [];
  // Users are split between writers; each writer walks its users round-robin.
  const lanes = Array.from({ length: concurrency }, (_, lane) => users.filter((_, i) => i % concurrency === lane));
  await Promise.all(
    lanes.map(async (laneUsers) => {
      const queue: Array<{ userId: string; seq: number }> = [];
      for (let seq = 0; seq < perUser; seq++) for (const userId of laneUsers) queue.push({ userId, seq });
      for (let i = 0; i < queue.length; i += perTx) {
        const chunk = queue.slice(i, i + perTx);
        const events = await dataSource.transaction(async (manager) => {
          const out: WrittenEvent[] = [];
          for (const { userId, seq } of chunk) {
            const envelope = anEnvelope(userId, seq, padding);
            await writer.append(manager, { envelope, partitionKey: userId, traceparent });
            out.push({ eventId: envelope.id, userId, seq });
          }
          return out;
        });
        written.push(...events);
      }
    }),
  );
  return written;
}

export function relayEnv(brokers: string, env: Record<string, string> = {}): OutboxRelayEnv {
  return loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: brokers, ...env });
}

export interface RelayHost {
  app: INestApplicationContext;
  relay: OutboxRelay;
  service: OutboxRelayService;
  logLines: string[];
  close(): Promise<void>;
}

/** One relay hosted by OutboxRelayModule in its own Nest application context (as a host app would). */
export async function startRelay(
  databaseUrl: string,
  brokers: string,
  env: Record<string, string> = {},
  overrides: Partial<OutboxRelayOptions> = {},
): Promise<RelayHost> {
  const logLines: string[] = [];
  const logger = new PinoLogger({ service: 'relay-test', level: (env.LOG_LEVEL as 'debug') ?? 'info', destination: lineSink((line) => logLines.push(line)) });
  // As a host app does: the platform's MetricsModule provides the Registry the relay's metrics go into.
  const host = {
    module: class RelayTestHostModule {},
    imports: [MetricsModule.forRoot(), OutboxRelayModule.forRoot({ enabled: true, databaseUrl, env: relayEnv(brokers, env), overrides })],
  };
  const app = await NestFactory.createApplicationContext(host, { logger, abortOnError: false });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const service = app.get(OutboxRelayService);
  let closing: Promise<void> | undefined;
  return { app, relay: service.relay!, service, logLines, close: () => (closing ??= app.close()) };
}

export interface ReadMessage {
  key: string;
  eventId: string;
  value: string;
  headers: Record<string, string>;
  partition: number;
  offset: number;
}

/** Reads the topic from the beginning with a fresh consumer group and keeps everything it sees. */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string, topic: string): Promise<TopicReader> {
    const kafka = new Kafka({ clientId: 'relay-test-reader', brokers: [brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `reader-${uuidv7()}`, maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 500 });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]));
          reader.messages.push({
            key: String(m.key),
            eventId: headers['event-id'] ?? '',
            value: String(m.value),
            headers,
            partition: batch.partition,
            offset: Number(m.offset),
          });
        }
      },
    });
    return reader;
  }

  forEvents(eventIds: Iterable<string>): ReadMessage[] {
    const wanted = new Set(eventIds);
    return this.messages.filter((m) => wanted.has(m.eventId));
  }

  /** Resolves once every event id has been seen at least once. */
  async waitFor(eventIds: string[], timeoutMs = 20_000): Promise<void> {
    await eventually(
      () => {
        const seen = new Set(this.messages.map((m) => m.eventId));
        const missing = eventIds.filter((id) => !seen.has(id));
        if (missing.length > 0) throw new Error(`${missing.length} of ${eventIds.length} events not on the topic yet`);
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/**
 * For each key: the event ids in Kafka order (partition offset order), first occurrences only, and the
 * number of duplicate deliveries.
 */
export function kafkaOrderByKey(messages: ReadMessage[]): { order: Map<string, string[]>; duplicates: number } {
  const sorted = [...messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const order = new Map<string, string[]>();
  const seen = new Set<string>();
  let duplicates = 0;
  for (const m of sorted) {
    if (seen.has(m.eventId)) {
      duplicates++;
      continue;
    }
    seen.add(m.eventId);
    const list = order.get(m.key) ?? [];
    list.push(m.eventId);
    order.set(m.key, list);
  }
  return { order, duplicates };
}

/** For each user: event ids in outbox id order. */
export async function outboxOrderByKey(dataSource: DataSource): Promise<Map<string, string[]>> {
  const rows: Array<{ partition_key: string; event_id: string }> = await dataSource.query(`SELECT partition_key, event_id FROM outbox.events ORDER BY id`);
  const order = new Map<string, string[]>();
  for (const r of rows) {
    const list = order.get(r.partition_key) ?? [];
    list.push(r.event_id);
    order.set(r.partition_key, list);
  }
  return order;
}

export async function statusCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: number }> = await dataSource.query(`SELECT status, count(*)::int AS n FROM outbox.events GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
