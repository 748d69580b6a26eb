import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaBroker } from './kafka-broker';
import { detectJava, KafkaRuntimeError, resolveKafkaRuntime } from './kafka-runtime';

// A real Apache Kafka JVM per test group; this file is the broker's own spec, so it does not use the shared one.

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'kafka-broker-spec-')), 'kafka');
const client = (brokers: string) => new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

async function produce(brokers: string, topic: string, n: number): Promise<void> {
  // Idempotent: a retried request on a busy machine must not append a record twice (the test counts them).
  const producer = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

async function highWatermarks(brokers: string, topic: string): Promise<number> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('KafkaBroker (Apache Kafka, single KRaft node)', () => {
  const brokers: KafkaBroker[] = [];
  afterAll(async () => {
    for (const b of brokers) await b.stop();
  });

  it('runs one KRaft node (node id 1) that kafkajs admin, producers and consumers use; topics are created through the admin API', async () => {
    const broker = await KafkaBroker.start({ dataDir: freshDir(), port: 0, persistent: false, topics: [{ name: 'spec-a', partitions: 6 }] });
    brokers.push(broker);
    const admin = client(broker.bootstrapServers).admin();
    await admin.connect();
    try {
      await expect(admin.describeCluster()).resolves.toMatchObject({ brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }], controller: 1 });
      const { topics } = await admin.fetchTopicMetadata({ topics: ['spec-a'] });
      expect(topics[0]!.partitions).toHaveLength(6);
      // Auto-creation is off, as in production: producing to an unknown topic fails.
      await expect(admin.fetchTopicMetadata({ topics: ['never-created'] })).rejects.toThrow(/does not host this topic-partition|unknown topic/i);
    } finally {
      await admin.disconnect();
    }
    await produce(broker.bootstrapServers, 'spec-a', 50);
    await expect(highWatermarks(broker.bootstrapServers, 'spec-a')).resolves.toBe(50);

    // createTopics is idempotent for the same partition count, and refuses another.
    await broker.createTopics([{ name: 'spec-a', partitions: 6 }]);
    await expect(broker.createTopics([{ name: 'spec-a', partitions: 3 }])).rejects.toThrow('topic spec-a exists with 6 partitions, expected 3');
  });

  it('keeps its log on disk: stop and start on the same folder, or SIGKILL and restart, and every acknowledged record is still there', async () => {
    const dataDir = freshDir();
    const first = await KafkaBroker.start({ dataDir, port: 0, topics: [{ name: 'durable', partitions: 4 }] });
    await produce(first.bootstrapServers, 'durable', 120);
    await first.stop();
    expect(existsSync(join(dataDir, 'logs', 'meta.properties'))).toBe(true);

    const second = await KafkaBroker.start({ dataDir, port: 0, topics: [{ name: 'durable', partitions: 4 }] });
    brokers.push(second);
    expect(second.clusterId).toBe(first.clusterId);
    await expect(highWatermarks(second.bootstrapServers, 'durable')).resolves.toBe(120);

    await produce(second.bootstrapServers, 'durable', 30);
    await second.kill();
    expect(second.pid).toBeUndefined();
    await second.restart();
    await expect(highWatermarks(second.bootstrapServers, 'durable')).resolves.toBe(150);
  }, 120_000);

  it('a paused broker (SIGSTOP) keeps connections open and answers nothing until resumed', async () => {
    const broker = await KafkaBroker.start({ dataDir: freshDir(), port: 0, persistent: false });
    brokers.push(broker);
    const admin = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING, requestTimeout: 1_000, retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      await broker.pause();
      await expect(admin.describeCluster()).rejects.toThrow();
      broker.resume();
      await expect(admin.describeCluster()).resolves.toMatchObject({ controller: 1 });
    } finally {
      await admin.disconnect();
    }
  });

  it('stops a broker still running on the same data folder (its host was SIGKILLed) before starting', async () => {
    const dataDir = freshDir();
    const orphan = await KafkaBroker.start({ dataDir, port: 0 });
    const orphanPid = orphan.pid!;
    expect(readFileSync(join(dataDir, 'broker.pid'), 'utf8').trim()).toBe(String(orphanPid));

    const lines: string[] = [];
    const next = await KafkaBroker.start({ dataDir, port: 0, persistent: false, log: (l) => lines.push(l) });
    brokers.push(next);
    expect(lines).toContain(`stopping a stale Kafka broker (pid ${orphanPid}) left by an earlier run`);
    expect(next.pid).not.toBe(orphanPid);
    expect(() => process.kill(orphanPid, 0)).toThrow();
  }, 90_000);

  it('names the port when it is taken', async () => {
    const server = createServer();
    const port = await new Promise<number>((done) => server.listen(0, '127.0.0.1', () => done((server.address() as { port: number }).port)));
    try {
      await expect(KafkaBroker.start({ dataDir: freshDir(), port, persistent: false })).rejects.toThrow(`port 127.0.0.1:${port} is already in use`);
    } finally {
      server.close();
    }
  });

  it('says what is missing: no Java, or a KAFKA_HOME that is not a Kafka distribution', async () => {
    expect(() => detectJava('/nonexistent-jdk')).toThrow(KafkaRuntimeError);
    expect(() => detectJava('/nonexistent-jdk')).toThrow(/needs Java 17\+.*install OpenJDK 17/);
    await expect(resolveKafkaRuntime({ kafkaHome: tmpdir() })).rejects.toThrow(`KAFKA_HOME=${tmpdir()} is not an unpacked Apache Kafka distribution`);
  });
});
