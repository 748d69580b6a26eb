import type { BenchDeps } from '../harness/bench-stack';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { OUTBOX_INSERT_SQL, OutboxRelay, OutboxRelayEnv, relayOptionsFromEnv, RelayLogger } from '@chat-ledger/outbox';
import { loadConfig } from '@chat-ledger/platform';
import { fillOutbox, gatewayEvent, OutboxMessage, readOutboxMessages } from '../harness/outbox-fill';
import { LatencySummary, median, ratio, summarizeLatency } from '../harness/stats';
import { warmTopic } from '../harness/warm-topic';

/**
 * The relay's default OUTBOX_BATCH_SIZE. A send's records for one partition travel as one record batch, which
 * Kafka refuses above 1 MiB (message.max.bytes): 500 envelopes of ~0.5 KB (~0.65 KB with key and headers) are
 * ~330 KB even if they all had the same key, and ~16 per partition on 32 partitions.
 */
export const RELAY_BATCH_SIZE = 500;

const quietLogger: RelayLogger = {
  log: () => undefined,
  debug: () => undefined,
  warn: (m) => console.error('relay warn', m),
  error: (m) => console.error('relay error', m),
};

/**
 * Scenario 2a: the ceiling for the relay. A kafkajs producer configured like the relay's (acks = all,
 * one send in flight, not idempotent) sends the same keyed envelopes with the same headers, in batches of
 * the relay's size, with nothing else to do: no database.
 */
export async function rawProduceEps(brokers: string, topic: string, messages: OutboxMessage[], batchSize = RELAY_BATCH_SIZE): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-raw-producer', brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: false,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const started = process.hrtime.bigint();
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + batchSize) });
    }
    return messages.length / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await producer.disconnect();
  }
}

export function relayEnv(brokers: string, topic: string, partitions: number, extra: Record<string, string> = {}): OutboxRelayEnv {
  return loadConfig(OutboxRelayEnv, {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_TOPIC_PARTITIONS: String(partitions),
    OUTBOX_BATCH_SIZE: String(RELAY_BATCH_SIZE),
    ...extra,
  });
}

/**
 * Scenario 2b: one relay (the production class, default settings) drains `rows` pre-inserted pending
 * rows; the time runs from the relay's start until no row is pending.
 */
export async function relayDrainEps(url: string, brokers: string, topic: string, partitions: number, rows: number): Promise<number> {
  const relay = new OutboxRelay(relayOptionsFromEnv(relayEnv(brokers, topic, partitions), url), quietLogger);
  const probe = new Client({ connectionString: url });
  await probe.connect();
  try {
    const started = Date.now();
    await relay.start();
    // "Nothing pending" walks the shrinking pending index; counting published rows would scan up to 1M
    // entries every poll and slow down the very relay being measured.
    const deadline = started + 600_000;
    while ((await probe.query(`SELECT 1 FROM outbox.events WHERE status = 'pending' LIMIT 1`)).rowCount) {
      if (Date.now() > deadline) throw new Error(`relay did not drain ${rows} rows in 10 min`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const done = Date.now();
    const published = Number((await probe.query<{ n: string }>(`SELECT count(*) AS n FROM outbox.events WHERE status = 'published'`)).rows[0]!.n);
    if (published !== rows) throw new Error(`relay drain: ${published} of ${rows} rows published (the rest dead?)`);
    return rows / ((done - started) / 1000);
  } finally {
    await relay.stop();
    await probe.end();
  }
}

export interface RelayResult {
  rows: number;
  raw_produce_eps: number;
  relay_eps: number;
  ratio: number;
  /** Commit → published, rows written one per transaction at `latency_rate`/s (as the peer is measured). */
  latency: LatencySummary & { rate: number };
  runs: { raw: number[]; relay: number[] };
}

/** Per run: a fresh database with `rows` pending rows, raw producer on one fresh topic, relay on another. */
export async function relayScenario(
  deps: BenchDeps,
  opts: { runs: number; rows: number; partitions: number; latencyRate: number; latencySeconds: number },
  log: (s: string) => void,
): Promise<RelayResult> {
  const runs = { raw: [] as number[], relay: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    const url = await deps.freshDatabase('bench_relay');
    await fillOutbox(url, opts.rows);
    const messages = await readOutboxMessages(url);
    runs.raw.push(Math.round(await rawProduceEps(deps.brokers, await deps.newTopic('bench-raw', opts.partitions), messages)));
    runs.relay.push(Math.round(await relayDrainEps(url, deps.brokers, await deps.newTopic('bench-relay', opts.partitions), opts.partitions, opts.rows)));
    await deps.dropDatabase(url);
    log(`relay run ${i + 1}/${opts.runs} (${opts.rows} rows): raw producer ${runs.raw[i]} ev/s, relay ${runs.relay[i]} ev/s`);
  }
  const raw = median(runs.raw);
  const relay = median(runs.relay);
  const url = await deps.freshDatabase('bench_relay_latency');
  const latency = await relayLatency(
    url,
    deps.brokers,
    await deps.newTopic('bench-relay-latency', opts.partitions),
    opts.partitions,
    opts.latencyRate,
    opts.latencySeconds,
  );
  await deps.dropDatabase(url);
  log(`relay latency at ${opts.latencyRate}/s: p50 ${latency.p50_ms} ms, p95 ${latency.p95_ms} ms, p99 ${latency.p99_ms} ms, max ${latency.max_ms} ms`);
  return { rows: opts.rows, raw_produce_eps: raw, relay_eps: relay, ratio: ratio(relay, raw), latency: { ...latency, rate: opts.latencyRate }, runs };
}

/**
 * Our relay's latency measured like the peer's: rows inserted one per transaction at a fixed rate (the
 * gateway's INSERT, user lock and NOTIFY trigger included), time from COMMIT returning until the row is
 * seen published. Published is visible only after the relay's own commit that follows the Kafka ack, so
 * this is a little stricter than "acknowledged by Kafka". The observer polls every 2 ms.
 */
export async function relayLatency(url: string, brokers: string, topic: string, partitions: number, rate: number, seconds: number): Promise<LatencySummary> {
  await warmTopic(brokers, topic, partitions);
  const relay = new OutboxRelay(relayOptionsFromEnv(relayEnv(brokers, topic, partitions), url), quietLogger);
  const writer = new Client({ connectionString: url });
  const observer = new Client({ connectionString: url });
  await writer.connect();
  await observer.connect();
  await relay.start();
  const committed = new Map<string, number>();
  const latencies: number[] = [];
  let writing = true;
  const poll = (async () => {
    while (writing || committed.size > 0) {
      const ids = [...committed.keys()];
      if (ids.length) {
        const { rows } = await observer.query<{ id: string }>(`SELECT id FROM outbox.events WHERE id = ANY($1::bigint[]) AND status = 'published'`, [ids]);
        const now = performance.now();
        for (const r of rows) {
          latencies.push(now - committed.get(r.id)!);
          committed.delete(r.id);
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    const total = rate * seconds;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const user = `bench-lat-${i % 50}`;
      const event = gatewayEvent(user, randomUUID(), randomUUID());
      await writer.query('BEGIN');
      // The gateway's own statement (user lock, NOTIFY trigger), as OutboxWriter runs it.
      const { rows } = await writer.query<{ id: string }>(OUTBOX_INSERT_SQL, [
        event.envelope.id,
        'chat.message.recorded',
        user,
        JSON.stringify(event.envelope),
        JSON.stringify(event.headers),
        false,
      ]);
      await writer.query('COMMIT');
      committed.set(rows[0]!.id, performance.now());
    }
    const until = performance.now() + 30_000;
    while (committed.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (committed.size > 0) throw new Error(`relay latency: ${committed.size} rows not published 30 s after the last insert`);
    return summarizeLatency(latencies);
  } finally {
    writing = false;
    committed.clear();
    await poll;
    await relay.stop();
    await writer.end();
    await observer.end();
  }
}
