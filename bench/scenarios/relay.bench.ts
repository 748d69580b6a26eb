import type { BenchDeps } from '../harness/bench-stack';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { OutboxLock, OutboxRelay, OutboxRelayEnv, relayOptionsFromEnv, RelayLogger } from '@chat-ledger/outbox';
import { loadConfig } from '@chat-ledger/platform';
import { fillOutbox, OutboxMessage, readOutboxMessages, waitForCount } from '../harness/outbox-fill';
import { LatencySummary, median, ratio, summarizeLatency } from '../harness/stats';

export const RELAY_BATCH_SIZE = 500;

const quietLogger: RelayLogger = { log: () => undefined, debug: () => undefined, warn: (m) => console.error('relay warn', m), error: (m) => console.error('relay error', m) };

/**
 * Scenario 2a: the ceiling for the relay. A kafkajs producer configured like the relay's (acks = all,
 * one send in flight, not idempotent) sends the same keyed envelopes with the same headers, in batches of
 * the relay's size, with nothing else to do: no database.
 */
export async function rawProduceEps(brokers: string, topic: string, messages: OutboxMessage[], batchSize = RELAY_BATCH_SIZE): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-raw-producer', brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 });
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
    const done = await waitForCount(probe, `SELECT (SELECT count(*) FROM chat.outbox WHERE status = 'published') AS n`, rows, 600_000, 25);
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
export async function relayScenario(deps: BenchDeps, opts: { runs: number; rows: number; partitions: number; latencyRate: number; latencySeconds: number }, log: (s: string) => void): Promise<RelayResult> {
  const runs = { raw: [] as number[], relay: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    const url = await deps.freshDatabase('bench_relay');
    await fillOutbox(url, opts.rows);
    const messages = await readOutboxMessages(url);
    runs.raw.push(Math.round(await rawProduceEps(deps.brokers, deps.newTopic('bench-raw', opts.partitions), messages)));
    runs.relay.push(Math.round(await relayDrainEps(url, deps.brokers, deps.newTopic('bench-relay', opts.partitions), opts.partitions, opts.rows)));
    await deps.dropDatabase(url);
    log(`relay run ${i + 1}/${opts.runs} (${opts.rows} rows): raw producer ${runs.raw[i]} ev/s, relay ${runs.relay[i]} ev/s`);
  }
  const raw = median(runs.raw);
  const relay = median(runs.relay);
  const url = await deps.freshDatabase('bench_relay_latency');
  const latency = await relayLatency(url, deps.brokers, deps.newTopic('bench-relay-latency', opts.partitions), opts.partitions, opts.latencyRate, opts.latencySeconds);
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
        const { rows } = await observer.query<{ id: string }>(`SELECT id FROM chat.outbox WHERE id = ANY($1::bigint[]) AND status = 'published'`, [ids]);
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
      const eventId = randomUUID();
      const payload = { id: eventId, type: 'chat.message.recorded', version: 1, source: 'chat-gateway', occurred_at: new Date().toISOString(),
        data: { user_id: user, conversation_id: randomUUID(), message_id: randomUUID(), role: 'assistant', model: 'gpt-4o',
          usage: { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 200 }, tokens_delta: 200 } };
      await writer.query('BEGIN');
      const { rows } = await writer.query<{ id: string }>(
        `INSERT INTO chat.outbox (event_id, event_type, partition_key, payload, headers)
         SELECT $1::uuid, 'chat.message.recorded', $2::text, $3::jsonb, $4::jsonb
           FROM (SELECT pg_advisory_xact_lock(${OutboxLock.userWrite}, hashtext($2::text))) AS user_lock
         RETURNING id`,
        [eventId, user, JSON.stringify(payload), JSON.stringify({ 'event-id': eventId, 'event-type': payload.type, 'content-type': 'application/json' })],
      );
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
