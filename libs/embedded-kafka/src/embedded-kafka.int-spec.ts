import * as net from 'node:net';
import { type Consumer, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer } from 'kafkajs';
import { EmbeddedKafka } from './embedded-kafka';
import { assertTopicReady } from './topic-check';

// Real broker (librdkafka mock cluster in this process), real kafkajs clients, no mocks.

const ERR_NOT_LEADER_OR_FOLLOWER = 6;
const ERR_REQUEST_TIMED_OUT = 7;
const API_PRODUCE = 0;

// Settings the README recommends for consumers in embedded mode.
const CONSUMER_SETTINGS = { maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 500 };

async function eventually<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

describe('EmbeddedKafka', () => {
  let ek: EmbeddedKafka;
  const logLines: string[] = [];
  const clients: Array<{ disconnect(): Promise<void> }> = [];

  function kafka(extra: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ clientId: 'embedded-kafka-spec', brokers: [ek.bootstrapServers], logLevel: logLevel.NOTHING, ...extra });
  }

  async function producer(k: Kafka, options: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> {
    const p = k.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...options });
    clients.push(p);
    await p.connect();
    return p;
  }

  function consumer(k: Kafka, groupId: string): Consumer {
    const c = k.consumer({ groupId, ...CONSUMER_SETTINGS });
    clients.push(c);
    return c;
  }

  async function highWatermarkSum(topic: string): Promise<number> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Reads a topic from the beginning with a fresh group until `count` messages arrived; returns their values. */
  async function readAll(topic: string, count: number): Promise<string[]> {
    const c = consumer(kafka(), `read-all-${topic}-${Date.now()}`);
    const values: string[] = [];
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    await eventually(() => expect(values.length).toBeGreaterThanOrEqual(count), { timeoutMs: 10_000 });
    await c.disconnect();
    return values;
  }

  beforeAll(async () => {
    const startedAt = Date.now();
    ek = await EmbeddedKafka.start({
      port: 0,
      topics: [
        { name: 'token-events', partitions: 16 },
        { name: 'roundtrip', partitions: 16 },
        { name: 'faults', partitions: 4 },
      ],
      log: (line) => logLines.push(line),
    });
    // Start is synchronous librdkafka work plus one listen(): tens of ms, not seconds.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  afterEach(() => ek.clearFaults());

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await ek?.stop();
  });

  it('announces the forwarded bootstrap address and the broker ids', () => {
    expect(ek.bootstrapServers).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(ek.bootstrapServers)).toBeGreaterThan(0);
    expect(logLines).toContain(`KAFKA_BROKERS=${ek.bootstrapServers}`);
    expect(ek.brokerIds).toEqual([0, 1]);
  });

  it('creates the topic with the configured partition count, visible to kafkajs admin', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: ['token-events'] });
      expect(metadata.topics[0].partitions).toHaveLength(16);
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([0, 1]);
      expect(cluster.controller).toBe(0);
    } finally {
      await admin.disconnect();
    }
  });

  describe('assertTopicReady', () => {
    it('passes for an existing topic with the expected partitions', async () => {
      await expect(assertTopicReady(kafka(), 'token-events', 16)).resolves.toBeUndefined();
    });

    it('names the missing topic, the brokers and the fix', async () => {
      await expect(assertTopicReady(kafka(), 'no-such-topic', 16, { brokers: ek.bootstrapServers })).rejects.toThrow(
        `topic no-such-topic does not exist on ${ek.bootstrapServers}: create it with 16 partitions (see README)`,
      );
      // Without a label it names the brokers the cluster advertises.
      await expect(assertTopicReady(kafka(), 'no-such-topic', 16)).rejects.toThrow(
        /^topic no-such-topic does not exist on 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+: create it with 16 partitions/,
      );
    });

    it('reports a wrong partition count', async () => {
      await expect(assertTopicReady(kafka(), 'faults', 16)).rejects.toThrow(/topic faults on .* has 4 partitions, expected 16/);
    });

    it('did not auto-create the missing topic', async () => {
      const admin = kafka().admin();
      await admin.connect();
      try {
        await expect(admin.listTopics()).resolves.not.toContain('no-such-topic');
      } finally {
        await admin.disconnect();
      }
    });
  });

  it('round-trips 2,000 keyed messages (acks=-1 and idempotent producers) in per-key order, and a group resumes after a graceful leave', async () => {
    const keys = 50;
    const nextSeq = new Map<string, number>();
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const key = `u-${i % keys}`;
        const seq = nextSeq.get(key) ?? 0;
        nextSeq.set(key, seq + 1);
        return { key, value: JSON.stringify({ key, seq }) };
      });

    const plain = await producer(kafka());
    for (let i = 0; i < 4; i++) await plain.send({ topic: 'roundtrip', acks: -1, messages: batch(250) });
    const idempotent = await producer(kafka(), { idempotent: true, maxInFlightRequests: 1 });
    for (let i = 0; i < 4; i++) await idempotent.send({ topic: 'roundtrip', acks: -1, messages: batch(250) });

    const seen = new Map<string, number[]>();
    const record = (value: Buffer | null) => {
      const { key, seq } = JSON.parse(String(value)) as { key: string; seq: number };
      seen.set(key, [...(seen.get(key) ?? []), seq]);
    };
    const total = () => [...seen.values()].reduce((n, s) => n + s.length, 0);

    const first = consumer(kafka(), 'roundtrip-group');
    await first.connect();
    await first.subscribe({ topic: 'roundtrip', fromBeginning: true });
    await first.run({ eachMessage: async ({ message }) => record(message.value) });
    await eventually(() => expect(total()).toBe(2_000), { timeoutMs: 10_000 });
    expect(seen.size).toBe(keys);
    for (const [key, seqs] of seen) {
      expect({ key, seqs }).toEqual({ key, seqs: Array.from({ length: 40 }, (_, i) => i) });
    }

    // Graceful leave (LeaveGroup capped at v2), then a new member of the same group continues from the
    // committed offsets: only the new messages arrive. The mock holds the emptied group in a rebalance for
    // sessionTimeout - 1 s, so the rejoin takes about 5 s.
    await first.disconnect();
    await plain.send({ topic: 'roundtrip', acks: -1, messages: batch(100) });
    const second = consumer(kafka(), 'roundtrip-group');
    await second.connect();
    await second.subscribe({ topic: 'roundtrip', fromBeginning: true });
    await second.run({ eachMessage: async ({ message }) => record(message.value) });
    await eventually(() => expect(total()).toBe(2_100), { timeoutMs: 12_000 });
    for (const [key, seqs] of seen) {
      expect({ key, seqs }).toEqual({ key, seqs: Array.from({ length: 42 }, (_, i) => i) });
    }
    await second.disconnect();
  }, 30_000);

  describe('fault controls', () => {
    // Short timeouts and few retries, so faults surface in well under a second.
    const impatient: Partial<KafkaConfig> = {
      connectionTimeout: 300,
      requestTimeout: 1_000,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
    };
    const messages = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k-${i % 7}`, value: `${prefix}-${i}` }));

    it('setBrokerDown fails sends and new bootstraps; after setBrokerUp sends succeed and nothing acknowledged is lost', async () => {
      const p = await producer(kafka(impatient), { idempotent: true, maxInFlightRequests: 1 });
      const before = await highWatermarkSum('faults');
      await p.send({ topic: 'faults', acks: -1, messages: messages('acked-1', 100) });

      ek.setBrokerDown();
      await expect(p.send({ topic: 'faults', acks: -1, messages: messages('refused', 10) })).rejects.toThrow();
      // A new client bootstrapping through the forwarder is cut off too (the forwarder closes the
      // connection when no broker accepts it).
      const admin = kafka(impatient).admin();
      await expect(admin.connect()).rejects.toThrow();

      ek.setBrokerUp();
      await eventually(() => p.send({ topic: 'faults', acks: -1, messages: messages('acked-2', 100) }), { timeoutMs: 5_000 });

      // The refused batch may only be present if it was appended before the failure; acknowledged data must be.
      const after = await highWatermarkSum('faults');
      expect(after - before).toBeGreaterThanOrEqual(200);
      const values = await readAll('faults', after);
      for (const prefix of ['acked-1', 'acked-2']) {
        for (let i = 0; i < 100; i++) expect(values).toContain(`${prefix}-${i}`);
      }
    }, 20_000);

    it('pushRequestErrors fails the next produce requests; kafkajs retries through them', async () => {
      const noRetry = await producer(kafka({ retry: { retries: 0 } }));
      const before = await highWatermarkSum('faults');

      ek.pushRequestErrors(API_PRODUCE, [ERR_NOT_LEADER_OR_FOLLOWER]);
      await expect(noRetry.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'rejected' }] })).rejects.toThrow(
        /not the leader/i,
      );
      expect(await highWatermarkSum('faults')).toBe(before);

      const retrying = await producer(kafka({ retry: { retries: 3, initialRetryTime: 50 } }));
      ek.pushRequestErrors(API_PRODUCE, [ERR_NOT_LEADER_OR_FOLLOWER, ERR_REQUEST_TIMED_OUT]);
      await expect(retrying.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'retried' }] })).resolves.toHaveLength(1);
      expect(await highWatermarkSum('faults')).toBe(before + 1);

      // clearFaults drops errors still queued.
      ek.pushRequestErrors(API_PRODUCE, [ERR_NOT_LEADER_OR_FOLLOWER, ERR_NOT_LEADER_OR_FOLLOWER]);
      ek.clearFaults();
      await expect(noRetry.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'clean' }] })).resolves.toHaveLength(1);
    });

    it('setRtt adds latency to every response until cleared', async () => {
      const p = await producer(kafka());
      await p.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'warm-up' }] });
      ek.setRtt(300);
      let t = Date.now();
      await p.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'slow' }] });
      expect(Date.now() - t).toBeGreaterThanOrEqual(250);
      ek.clearFaults();
      t = Date.now();
      await p.send({ topic: 'faults', acks: -1, messages: [{ key: 'x', value: 'fast' }] });
      expect(Date.now() - t).toBeLessThan(250);
    });

    it('rejects unknown broker ids', () => {
      expect(() => ek.setBrokerDown(7)).toThrow('unknown broker id 7');
    });

    // The mock listens with a backlog of 5; EmbeddedKafka widens it at start and again whenever a broker
    // comes back up (it listens anew then), so this also covers setBrokerDown/setBrokerUp.
    it('serves a burst of 40 clients connecting at once without the 1 s SYN-retry stall', async () => {
      ek.setBrokerDown();
      ek.setBrokerUp();
      const times = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const t = Date.now();
          await assertTopicReady(kafka(), 'token-events', 16);
          return Date.now() - t;
        }),
      );
      expect(Math.max(...times)).toBeLessThan(900);
    });

    it('control calls in quick succession do not stall (mock op-queue wake-up race)', () => {
      const t = Date.now();
      for (let i = 0; i < 20; i++) {
        ek.setRtt(0);
        ek.setBrokerUp();
      }
      expect(Date.now() - t).toBeLessThan(500);
    });
  });
});

describe('EmbeddedKafka lifecycle', () => {
  it('stop() frees the port, is idempotent, and the same fixed port can be started again', async () => {
    const first = await EmbeddedKafka.start({ port: 0, topics: [] });
    const port = portOf(first.bootstrapServers);
    await expect(portIsFree(port)).resolves.toBe(false);
    await Promise.all([first.stop(), first.stop()]);
    await first.stop();
    await expect(portIsFree(port)).resolves.toBe(true);

    const again = await EmbeddedKafka.start({ port, topics: [{ name: 'token-events', partitions: 16 }] });
    try {
      expect(again.bootstrapServers).toBe(`127.0.0.1:${port}`);
      const k = new Kafka({ brokers: [again.bootstrapServers], logLevel: logLevel.NOTHING });
      await expect(assertTopicReady(k, 'token-events', 16)).resolves.toBeUndefined();
    } finally {
      await again.stop();
    }
  });

  it('stop() closes connections that are open through the forwarder', async () => {
    const ek = await EmbeddedKafka.start({ port: 0, topics: [] });
    const socket = net.connect(portOf(ek.bootstrapServers), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await ek.stop();
    await expect(closed).resolves.toBeDefined();
  });

  it('fails clearly when the fixed port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(EmbeddedKafka.start({ port, topics: [] })).rejects.toThrow(`port 127.0.0.1:${port} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('runs two independent clusters at once, one with 3 brokers whose bootstrap survives a broker down', async () => {
    const a = await EmbeddedKafka.start({ port: 0, topics: [{ name: 'token-events', partitions: 2 }] });
    const b = await EmbeddedKafka.start({ port: 0, brokers: 3, topics: [{ name: 'token-events', partitions: 6 }] });
    try {
      expect(b.brokerIds).toEqual([0, 1, 2, 3]);
      const ka = new Kafka({ brokers: [a.bootstrapServers], logLevel: logLevel.NOTHING });
      const kb = new Kafka({ brokers: [b.bootstrapServers], logLevel: logLevel.NOTHING });
      await expect(assertTopicReady(ka, 'token-events', 2)).resolves.toBeUndefined();
      await expect(assertTopicReady(kb, 'token-events', 6)).resolves.toBeUndefined();

      // The forwarder tries each broker in turn, so bootstrap still works with broker 1 down.
      b.setBrokerDown(1);
      await expect(assertTopicReady(kb, 'token-events', 6)).resolves.toBeUndefined();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
