import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTopicsAndWait, KafkaBroker, KafkaBrokerTopic } from '@chat-ledger/kafka-broker';
import { eventually } from './eventually';
import { findFreePort } from './free-port';
import { TcpFaultProxy } from './tcp-fault-proxy';

/** The suite's shared Apache Kafka broker (started by the jest global setup). */
export function testKafkaBrokers(): string {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  if (!brokers) throw new Error('TEST_KAFKA_BROKERS is not set: run tests through `npm test` (jest global setup)');
  return brokers;
}

/** A name no other test file uses: every file works on its own topics of the shared broker. */
export function uniqueTopicName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestTopic {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

/** Creates topics (waiting for their leaders) on the given broker, the shared one by default. */
export async function createTopics(topics: readonly TestTopic[], brokers = testKafkaBrokers()): Promise<void> {
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

/** One topic with a unique name on the shared broker; returns its name. */
export async function createTestTopic(prefix: string, partitions: number, config?: Record<string, string>): Promise<string> {
  const name = uniqueTopicName(prefix);
  await createTopics([{ name, partitions, config }]);
  return name;
}

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  /** The value parsed as JSON (our envelopes), or null when it is not JSON. */
  value: unknown;
}

/**
 * Every record on the topic up to its current end, read by an admin-free one-off consumer: the high
 * watermarks are taken first, then each partition is read from offset 0 until it reaches its mark.
 */
export async function readTopic(topic: string, brokers = testKafkaBrokers()): Promise<TopicRecord[]> {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const marks = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const records: TopicRecord[] = [];
  const open = new Set([...marks].filter(([, high]) => high > 0n).map(([p]) => p));
  if (open.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `read-${randomBytes(6).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((done, fail) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          let value: unknown = null;
          try {
            value = message.value ? JSON.parse(message.value.toString('utf8')) : null;
          } catch {
            // not JSON
          }
          records.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value });
          if (BigInt(message.offset) + 1n >= marks.get(partition)!) open.delete(partition);
          if (open.size === 0) done();
        },
      })
      .catch(fail);
  });
  await consumer.disconnect();
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/**
 * A broker of its own for a test that breaks the broker or the network, so other test files on the shared
 * broker never feel it. Clients given `faultyBrokers` reach it through a TcpFaultProxy (the address a second
 * listener advertises), so `proxy.cut()`, `freeze()` and `setLatency()` hit them and nobody else; clients
 * given `broker.bootstrapServers` (e.g. a test's own reader) go direct.
 */
/**
 * Waits until the consumer group has committed every partition of the topic up to its end: the group has read
 * (and, for the ledger, applied) everything on it. An empty partition counts as caught up with nothing committed.
 */
export async function groupCaughtUp(groupId: string, topic: string, brokers = testKafkaBrokers(), timeoutMs = 60_000): Promise<void> {
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await eventually(
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        // -1: nothing committed, which is caught up on an empty partition.
        const at = (partition: number) => committed!.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        const behind = ends.filter((end) => (at(end.partition) === '-1' ? '0' : at(end.partition)) !== end.high);
        if (behind.length > 0) {
          throw new Error(
            `group ${groupId} behind on ${behind.map((e) => `partition ${e.partition}: committed ${at(e.partition)}, end ${e.high}`).join('; ')}`,
          );
        }
      },
      { timeoutMs, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
}

export interface OwnKafka {
  broker: KafkaBroker;
  proxy: TcpFaultProxy;
  /** Direct, never faulted. */
  brokers: string;
  /** Through the proxy. */
  faultyBrokers: string;
  stop(): Promise<void>;
}

export async function startOwnKafka(topics: readonly KafkaBrokerTopic[] = [], brokerConfig: Record<string, string> = {}): Promise<OwnKafka> {
  const proxiedPort = await findFreePort();
  const proxy = await TcpFaultProxy.listen({ target: `127.0.0.1:${proxiedPort}` });
  let broker: KafkaBroker;
  try {
    broker = await KafkaBroker.start({
      dataDir: join(mkdtempSync(join(tmpdir(), 'chat-ledger-kafka-')), 'kafka'),
      port: 0,
      persistent: false,
      heapMb: 384,
      topics,
      extraListeners: [{ name: 'PROXIED', port: proxiedPort, advertisedPort: proxy.port }],
      brokerConfig,
      kafkaHome: process.env.KAFKA_HOME,
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return {
    broker,
    proxy,
    brokers: broker.bootstrapServers,
    faultyBrokers: proxy.address,
    stop: async () => {
      await proxy.close();
      await broker.stop();
    },
  };
}
