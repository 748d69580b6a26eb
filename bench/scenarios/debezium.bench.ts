/**
 * Scenario 7: Debezium as a peer relay. The same outbox table (outbox.events, real migrations), the same rows and
 * the same broker, published once by Debezium 3.6.1.Final (embedded engine, PostgreSQL connector on pgoutput, Outbox
 * Event Router SMT, a kafka-clients producer) and once by our OutboxRelay, measured the same way:
 *
 * - Drain: `rows` rows committed one per transaction (gateway-shaped envelopes, bench/harness/outbox-fill.ts) once,
 *   with neither relay running, and drained by each in turn: Debezium from its replication slot, then (its slot
 *   dropped) our relay from the table, where the rows are still pending, each into a topic of its own. The time runs
 *   from the relay's start until its topic holds every row (sum of the partitions' high watermarks, polled every
 *   20 ms), so both pay their own start-up (reported apart as `first_record_ms`). Debezium's slot has to exist before
 *   the rows are written (a slot streams only what commits after it), so its engine first runs on the empty table
 *   until warm-up rows reach the topic, and is stopped (which commits its offsets) before the fill; it restarts in
 *   the same, warm JVM. Our relay runs in the bench's warm Node process. Before the measured drains, each drains
 *   `warmupDrainRows` rows the same way on a database of its own, unmeasured (a cold JVM drained ~3× slower than a
 *   warm one).
 * - Latency: the relay running, rows written at 200 and 1,000 rows/s one per transaction with the gateway's own
 *   statement; commit → record on Kafka, timed by a kafkajs consumer in a load process of its own (bench/load/cdc-latency.ts).
 *
 * Each figure is the median of `runs` runs, Debezium and our relay interleaved (D, R, D, R, …): a drain run is one
 * fresh database both drain, a latency run a fresh database and topic each; slots, publications and databases are
 * dropped after each measurement.
 *
 * How Debezium is set up (bench/debezium: DebeziumRelay.java, pom.xml), and why:
 * - Engine: `DebeziumEngine.create(ChangeEventFormat.of(Connect.class))`, which in 3.x builds the async embedded
 *   engine (the legacy EmbeddedEngine is gone); its defaults (max.batch.size 2048, max.queue.size 8192, record
 *   processing threads = cores) except `poll.interval.ms` (below). Offsets in a FileOffsetBackingStore in a temp folder.
 *   `extended.headers.enabled=false`, so records carry no `__debezium.context.*` headers (ours carry none of that).
 * - Connector: io.debezium.connector.postgresql.PostgresConnector, `plugin.name=pgoutput`, a slot of its own per
 *   measurement, `publication.autocreate.mode=filtered` with `table.include.list=outbox.events` (a publication for that
 *   table only), `snapshot.mode=no_data` (streams only what commits after the slot exists: the table is empty then),
 *   `heartbeat.interval.ms=10000` (what Debezium's documentation advises so the slot's confirmed position keeps moving
 *   when the captured table is quiet; the heartbeat records go to Debezium's own heartbeat topic, which the sink marks
 *   processed without sending). The bench's superuser has REPLICATION, so no role set-up is needed.
 * - `poll.interval.ms=1` instead of its 500 ms default: the connector sleeps that long when the WAL stream has
 *   nothing, and its queue hands the engine a batch only once 2,048 records wait or that interval is over, so the
 *   default adds up to half a second to each record at these rates (p50 ~800 ms at 200 rows/s in a trial run).
 *   That would compare a throughput setting with our latency setting; 1 ms (the smallest) gave Debezium its best
 *   latency in trials against 10 ms, at the price of waking every millisecond when idle. It did not change the drain.
 * - SMT: io.debezium.transforms.outbox.EventRouter with our columns: `table.field.event.id=event_id`,
 *   `table.field.event.key=partition_key` (the Kafka key, as ours), `table.field.event.payload=payload` (the value:
 *   the envelope's JSON text, as ours), `route.by.field=event_type` with `route.topic.replacement=<the run's topic>`
 *   (one fixed topic, as ours), and `table.fields.additional.placement` putting event_type, event_id and user_seq
 *   into the headers our relay sends (event-type, event-id, user-seq); the sink adds content-type like ours does, and
 *   the SMT adds its own `id` header (the event id again). Checked once: for the same rows, both relays put the same
 *   key on the same partition with byte-identical values (jsonb's text form in both).
 * - Producer: what our relay's kafkajs producer does, in kafka-clients terms: `acks=all`,
 *   `enable.idempotence=false`, `max.in.flight.requests.per.connection=1`, `linger.ms=0` (kafkajs sends at once;
 *   Kafka 4's default is 5), `batch.size=524288` (a per-partition cap above the ~330 KB one of our 500-row sends can
 *   put in one partition, below the broker's 1 MiB per batch), no compression, the default (murmur2) partitioner, the
 *   same one as our relay's DefaultPartitioner, so a key lands on the same partition. The sink sends a whole engine
 *   batch, waits for every ack, then marks the batch processed (what Debezium Server's Kafka sink does).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { OutboxRelay, relayOptionsFromEnv, RelayLogger } from '@chat-ledger/outbox';
import type { BenchDeps } from '../harness/bench-stack';
import { runLoadProcess } from '../harness/bench-apps';
import { DEBEZIUM_VERSION, DebeziumProcess, DebeziumRuntime, resolveDebeziumRuntime } from '../harness/debezium-runtime';
import { BENCH_USERS, ENVELOPE_SQL, GENERATED_EVENTS_CTE, HEADERS_SQL } from '../harness/outbox-fill';
import { warmTopic } from '../harness/warm-topic';
import { median, ratio, summarizeLatency } from '../harness/stats';
import type { CdcLatencyPlan, CdcLatencyResult } from '../load/cdc-latency';
import { relayEnv } from './relay.bench';

export const POLL_INTERVAL_MS = 1;
const HEARTBEAT_INTERVAL_MS = 10_000;
const WARMUP_ROWS = 20;
const DRAIN_TIMEOUT_MS = 600_000;

export interface DebeziumOptions {
  runs: number;
  rows: number;
  /** rows of the unmeasured warm-up drain each relay does first */
  warmupDrainRows: number;
  partitions: number;
  rates: number[];
  latencySeconds: number;
  /** superuser URL of the bench's PostgreSQL server (slots are dropped through it) */
  serverUrl: string;
}

interface LatencyFigure {
  p50_ms: number;
  p99_ms: number;
}

export interface DebeziumResult {
  version: string;
  rows: number;
  drain_eps: number;
  relay_drain_eps: number;
  /** relay_drain_eps / drain_eps (target ≥ 2) */
  throughput_ratio: number;
  latency: Record<string, { debezium: LatencyFigure; relay: LatencyFigure }>;
  build_seconds: number;
  settings: Record<string, string>;
  runs: {
    warmup_drain: { debezium: DrainRun; relay: DrainRun };
    drain: { debezium: DrainRun[]; relay: DrainRun[] };
    latency: Record<string, { debezium: LatencyRun[]; relay: LatencyRun[] }>;
  };
  note?: string;
}

interface DrainRun {
  eps: number;
  /** start → first record on the topic */
  first_record_ms: number;
  /** start → last record on the topic */
  total_ms: number;
  /** rows / (last record − first record): the rate once records flow, start-up left out */
  flowing_eps: number;
  /** Debezium: engine batches the rows came in (each sent, then every ack awaited) */
  batches?: number;
}

type LatencyRun = ReturnType<typeof summarizeLatency> & { achieved_rate: number; missing: number; duplicates: number };

const quietLogger: RelayLogger = {
  log: () => undefined,
  debug: () => undefined,
  warn: (m) => console.error('relay warn', m),
  error: (m) => console.error('relay error', m),
};

export async function debeziumScenario(deps: BenchDeps, opts: DebeziumOptions, log: (s: string) => void): Promise<DebeziumResult> {
  const runtime: DebeziumRuntime = await resolveDebeziumRuntime(log);
  const work = mkdtempSync(join(tmpdir(), 'chat-ledger-debezium-'));
  const dbz = await DebeziumProcess.launch(runtime, work);
  const notes: string[] = [];
  const kafka = new Kafka({ clientId: 'bench-debezium-probe', brokers: deps.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topicSize = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const ctx: Ctx = { deps, opts, dbz, work, topicSize, notes, log };
  try {
    // Each drains `warmupDrainRows` rows first, unmeasured: Debezium's JVM and our relay's process JIT-compiled
    // before the clock runs (a cold JVM drained ~3× slower than a warm one here).
    const warm = { debezium: await debeziumWarmDrain(ctx), relay: await relayWarmDrain(ctx) };
    const drain = { debezium: [] as DrainRun[], relay: [] as DrainRun[] };
    for (let i = 0; i < opts.runs; i++) {
      const both = await drainBoth(ctx);
      drain.debezium.push(both.debezium);
      drain.relay.push(both.relay);
      const line = (x: DrainRun) => `${x.eps} ev/s (first record after ${x.first_record_ms} ms, then ${x.flowing_eps} ev/s)`;
      log(`debezium drain run ${i + 1}/${opts.runs} (${opts.rows} rows): Debezium ${line(both.debezium)}, relay ${line(both.relay)}`);
    }
    const latencyRuns: DebeziumResult['runs']['latency'] = {};
    const latency: DebeziumResult['latency'] = {};
    for (const rate of opts.rates) {
      const runs = { debezium: [] as LatencyRun[], relay: [] as LatencyRun[] };
      for (let i = 0; i < opts.runs; i++) {
        runs.debezium.push(await latencyRun(ctx, 'debezium', rate));
        runs.relay.push(await latencyRun(ctx, 'relay', rate));
        const [d, r] = [runs.debezium[i]!, runs.relay[i]!];
        log(`debezium latency ${rate}/s run ${i + 1}/${opts.runs}: Debezium p50 ${d.p50_ms} / p99 ${d.p99_ms} ms, relay p50 ${r.p50_ms} / p99 ${r.p99_ms} ms`);
      }
      latencyRuns[rate] = runs;
      const fig = (xs: LatencyRun[]) => ({ p50_ms: median(xs.map((x) => x.p50_ms)), p99_ms: median(xs.map((x) => x.p99_ms)) });
      latency[rate] = { debezium: fig(runs.debezium), relay: fig(runs.relay) };
    }
    const drainEps = median(drain.debezium.map((r) => r.eps));
    const relayEps = median(drain.relay.map((r) => r.eps));
    return {
      version: DEBEZIUM_VERSION,
      rows: opts.rows,
      drain_eps: drainEps,
      relay_drain_eps: relayEps,
      throughput_ratio: ratio(relayEps, drainEps),
      latency,
      build_seconds: runtime.buildSeconds,
      settings: { 'poll.interval.ms': String(POLL_INTERVAL_MS), 'heartbeat.interval.ms': String(HEARTBEAT_INTERVAL_MS), ...PRODUCER },
      runs: { warmup_drain: warm, drain, latency: latencyRuns },
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await dbz.exit().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

interface Ctx {
  deps: BenchDeps;
  opts: DebeziumOptions;
  dbz: DebeziumProcess;
  work: string;
  topicSize: (topic: string) => Promise<number>;
  notes: string[];
  log: (s: string) => void;
}

/** Our relay's producer settings (libs/outbox KafkaPublisher) in kafka-clients terms. */
const PRODUCER = {
  'producer.acks': 'all',
  'producer.enable.idempotence': 'false',
  'producer.max.in.flight.requests.per.connection': '1',
  'producer.linger.ms': '0',
  'producer.batch.size': '524288',
  'producer.compression.type': 'none',
};

/** The engine's, connector's, SMT's and (prefixed `producer.`) producer's settings for one measurement. */
export function debeziumProps(o: { url: string; topic: string; slot: string; brokers: string; offsetsDir: string }): Record<string, string> {
  const { url, topic, slot } = o;
  const u = new URL(url);
  return {
    name: `bench-${slot}`,
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'offset.storage': 'org.apache.kafka.connect.storage.FileOffsetBackingStore',
    'offset.storage.file.filename': join(o.offsetsDir, `${slot}.offsets`),
    'database.hostname': u.hostname,
    'database.port': u.port,
    'database.user': decodeURIComponent(u.username),
    'database.password': decodeURIComponent(u.password),
    'database.dbname': u.pathname.slice(1),
    'topic.prefix': 'bench',
    'plugin.name': 'pgoutput',
    'slot.name': slot,
    'publication.name': `${slot}_pub`,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': 'outbox.events',
    'snapshot.mode': 'no_data',
    'heartbeat.interval.ms': String(HEARTBEAT_INTERVAL_MS),
    'poll.interval.ms': String(POLL_INTERVAL_MS),
    // Without it every record also carries four __debezium.context.* headers (~150 bytes) that ours does not.
    'extended.headers.enabled': 'false',
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.table.field.event.id': 'event_id',
    'transforms.outbox.table.field.event.key': 'partition_key',
    'transforms.outbox.table.field.event.payload': 'payload',
    'transforms.outbox.route.by.field': 'event_type',
    'transforms.outbox.route.topic.replacement': topic,
    'transforms.outbox.table.fields.additional.placement': 'event_type:header:event-type,event_id:header:event-id,user_seq:header:user-seq',
    'producer.bootstrap.servers': o.brokers,
    'producer.client.id': `bench-debezium-${slot}`,
    ...PRODUCER,
    'bench.topic': topic,
  };
}

/**
 * Debezium's slot on a fresh database, proven by warm-up rows (a slot streams only what commits after it exists);
 * then its engine is stopped (which commits its offsets), so a backlog can be committed before it starts again.
 * Returns the topic's size after the warm-up records.
 */
async function provenSlot(ctx: Ctx, url: string, topic: string): Promise<number> {
  const writer = new Client({ connectionString: url });
  await writer.connect();
  let base: number;
  try {
    base = await warmUp(ctx, writer, topic);
  } finally {
    await writer.end();
  }
  const streamed = await ctx.dbz.stop();
  if (streamed?.sent !== base) ctx.notes.push(`drain: Debezium sent ${streamed?.sent} warm-up records, the topic holds ${base}`);
  return base;
}

/** Debezium's unmeasured drain of `warmupDrainRows` on a database of its own. */
async function debeziumWarmDrain(ctx: Ctx): Promise<DrainRun> {
  return withDebezium(ctx, 'bench_dbz_warm', async ({ url, topic, slot, props }) => {
    const base = await provenSlot(ctx, url, topic);
    await waitSlotInactive(ctx.opts.serverUrl, slot);
    await fillOnePerTransaction(url, ctx.opts.warmupDrainRows);
    return debeziumTimedDrain(ctx, topic, base, ctx.opts.warmupDrainRows, props);
  });
}

/** Our relay's unmeasured drain of `warmupDrainRows` on a database of its own. */
async function relayWarmDrain(ctx: Ctx): Promise<DrainRun> {
  const [url, topic] = await Promise.all([ctx.deps.freshDatabase('bench_dbz_relay_warm'), ctx.deps.newTopic('bench-dbz-relay-warm', ctx.opts.partitions)]);
  try {
    await fillOnePerTransaction(url, ctx.opts.warmupDrainRows);
    return await relayTimedDrain(ctx, url, topic, 0, ctx.opts.warmupDrainRows);
  } finally {
    await ctx.deps.dropDatabase(url);
  }
}

/**
 * One measured drain of each, of the same committed rows: the backlog is committed once, with Debezium's slot in
 * place and neither relay running; Debezium's engine starts and is timed until its topic holds every row; then its
 * slot is dropped and our relay drains the very same rows (still pending: Debezium reads the WAL, not the table)
 * into a topic of its own. Debezium goes first because our relay's marks are WAL that a live slot would make
 * Debezium decode on its next start; with the slot gone, nothing reads or keeps them. Before the fill, the
 * warm-up rows that proved the slot are deleted (Debezium already sent them; they are no part of either backlog),
 * and both topics get warmTopic's records, so neither drain includes the broker's one-time stall on new
 * partitions (bench/harness/warm-topic.ts) and neither side gets a topic warmer than the other's.
 */
async function drainBoth(ctx: Ctx): Promise<{ debezium: DrainRun; relay: DrainRun }> {
  return withDebezium(ctx, 'bench_dbz_drain', async ({ url, topic, slot, props }) => {
    await provenSlot(ctx, url, topic);
    const relayTopic = await ctx.deps.newTopic('bench-dbz-relay', ctx.opts.partitions);
    await Promise.all([warmTopic(ctx.deps.brokers, topic, ctx.opts.partitions), warmTopic(ctx.deps.brokers, relayTopic, ctx.opts.partitions)]);
    const [debeziumBase, relayBase] = await Promise.all([ctx.topicSize(topic), ctx.topicSize(relayTopic)]);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('DELETE FROM outbox.events');
    } finally {
      await admin.end();
    }
    await waitSlotInactive(ctx.opts.serverUrl, slot);
    await fillOnePerTransaction(url, ctx.opts.rows);
    const debezium = await debeziumTimedDrain(ctx, topic, debeziumBase, ctx.opts.rows, props);
    await dropSlot(ctx.opts.serverUrl, slot);
    const pending = await countPending(url);
    if (pending !== ctx.opts.rows) ctx.notes.push(`drain: ${pending} rows pending for the relay after Debezium's drain, not ${ctx.opts.rows}`);
    const relay = await relayTimedDrain(ctx, url, relayTopic, relayBase, ctx.opts.rows);
    return { debezium, relay };
  });
}

/** Debezium's engine (re)started on its proven slot and timed until `rows` more records are on the topic. */
async function debeziumTimedDrain(ctx: Ctx, topic: string, base: number, rows: number, props: Record<string, string>): Promise<DrainRun> {
  const run = await timeDrain(ctx, 'debezium', topic, base, rows, () => ctx.dbz.start(props));
  const stopped = await ctx.dbz.stop();
  if (stopped?.sent !== rows) ctx.notes.push(`drain: Debezium sent ${stopped?.sent} records for ${rows} rows`);
  return { ...run, ...(stopped?.batches !== undefined ? { batches: stopped.batches } : {}) };
}

/** Our relay started on the database's pending rows and timed until `rows` more records are on the topic. */
async function relayTimedDrain(ctx: Ctx, url: string, topic: string, base: number, rows: number): Promise<DrainRun> {
  const relay = new OutboxRelay(relayOptionsFromEnv(relayEnv(ctx.deps.brokers, topic, ctx.opts.partitions), url), quietLogger);
  try {
    return await timeDrain(ctx, 'relay', topic, base, rows, () => relay.start());
  } finally {
    await relay.stop();
  }
}

async function countPending(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM outbox.events WHERE status = 'pending'`);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** From `start()` until the topic holds `base + rows` records. */
async function timeDrain(ctx: Ctx, who: 'debezium' | 'relay', topic: string, base: number, rows: number, start: () => Promise<void>): Promise<DrainRun> {
  const target = base + rows;
  const logFrom = ctx.dbz.logLines.length;
  const started = performance.now();
  await start();
  let first = 0;
  for (;;) {
    const n = await ctx.topicSize(topic);
    const now = performance.now();
    if (!first && n > base) first = now;
    if (n >= target) {
      if (n > target) ctx.notes.push(`drain: ${n - target} more records than rows on ${topic}`);
      const total = now - started;
      if (who === 'debezium' && first - started > 3_000) {
        const lines = ctx.dbz.logLines.slice(logFrom).filter((l) => !/^\s+at /.test(l));
        ctx.notes.push(
          `drain: Debezium's first record came ${Math.round(first - started)} ms after its start; it logged: ${lines.slice(0, 5).join(' | ').slice(0, 1500) || 'nothing'}`,
        );
      }
      return {
        eps: Math.round(rows / (total / 1000)),
        first_record_ms: Math.round(first - started),
        total_ms: Math.round(total),
        flowing_eps: Math.round(rows / (Math.max(1, now - first) / 1000)),
      };
    }
    const failure = ctx.dbz.failure();
    if (failure) throw new Error(`Debezium drain: ${failure}`);
    if (now - started > DRAIN_TIMEOUT_MS) throw new Error(`drain: ${n - base} of ${rows} records on the topic after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await sleep(20);
  }
}

/** Writes rows one at a time until Debezium streams (its snapshot-less start takes a moment), then WARMUP_ROWS more; returns the settled topic size. */
async function warmUp(ctx: Ctx, writer: Client, topic: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  let n = 0;
  let first: number;
  while ((first = await ctx.topicSize(topic)) === 0) {
    if (Date.now() > deadline) throw new Error(`Debezium streamed none of ${n} warm-up rows in 60 s: ${ctx.dbz.failure() ?? 'no error reported'}`);
    await insertGenerated(writer, n++);
    await sleep(200);
  }
  for (let i = 0; i < WARMUP_ROWS; i++) await insertGenerated(writer, n++);
  // Settled: the rows written once streaming ran are all there, and nothing more comes in (an earlier row may, or not).
  let last = -1;
  for (;;) {
    const size = await ctx.topicSize(topic);
    if (size >= first + WARMUP_ROWS && size === last) return size;
    if (Date.now() > deadline) throw new Error('Debezium warm-up records did not settle in 60 s');
    last = size;
    await sleep(300);
  }
}

/**
 * Writer connections for a rate: commits wait for the WAL flush, which took up to ~30 ms on this shared disk, so
 * 4 connections reached only ~130 commits/s. 10 at 200/s and 50 at 1,000/s; both divide the 50 users, so one user's
 * rows always come from one connection and never wait on each other's user lock.
 */
const writersFor = (rate: number) => Math.max(10, Math.ceil(rate / 20));

async function latencyRun(ctx: Ctx, who: 'debezium' | 'relay', rate: number): Promise<LatencyRun> {
  const measure = async (url: string, topic: string) => {
    const plan: CdcLatencyPlan = {
      databaseUrl: url,
      brokers: ctx.deps.brokers,
      topic,
      rate,
      seconds: ctx.opts.latencySeconds,
      writers: writersFor(rate),
      warmupRows: WARMUP_ROWS,
      maxWaitTimeInMs: 100,
    };
    await warmTopic(ctx.deps.brokers, topic, ctx.opts.partitions);
    const r = await runLoadProcess<CdcLatencyResult>('cdc-latency.js', plan);
    if (r.missing) ctx.notes.push(`latency ${rate}/s ${who}: ${r.missing} of ${r.sent} rows never reached the topic`);
    if (r.achieved_rate < 0.9 * rate) ctx.notes.push(`latency ${rate}/s ${who}: rows written at only ${Math.round(r.achieved_rate)}/s`);
    if (!r.latencies_ms.length) throw new Error(`latency ${rate}/s ${who}: no record arrived`);
    return { ...summarizeLatency(r.latencies_ms), achieved_rate: Math.round(r.achieved_rate), missing: r.missing, duplicates: r.duplicates };
  };
  if (who === 'debezium') {
    return withDebezium(ctx, 'bench_dbz_lat', async ({ url, topic }) => {
      const result = await measure(url, topic);
      await ctx.dbz.stop();
      return result;
    });
  }
  const [url, topic] = await Promise.all([ctx.deps.freshDatabase('bench_dbz_relay_lat'), ctx.deps.newTopic('bench-dbz-relay-lat', ctx.opts.partitions)]);
  const relay = new OutboxRelay(relayOptionsFromEnv(relayEnv(ctx.deps.brokers, topic, ctx.opts.partitions), url), quietLogger);
  try {
    await relay.start();
    return await measure(url, topic);
  } finally {
    await relay.stop();
    await ctx.deps.dropDatabase(url);
  }
}

/** Fresh database + topic + a running Debezium engine (its own slot) around `fn`; then the engine, slot and database go. */
async function withDebezium<T>(
  ctx: Ctx,
  prefix: string,
  fn: (x: { url: string; topic: string; slot: string; props: Record<string, string> }) => Promise<T>,
): Promise<T> {
  const [url, topic] = await Promise.all([ctx.deps.freshDatabase(prefix), ctx.deps.newTopic(prefix.replace(/_/g, '-'), ctx.opts.partitions)]);
  const slot = `bench_dbz_${randomBytes(4).toString('hex')}`;
  const props = debeziumProps({ url, topic, slot, brokers: ctx.deps.brokers, offsetsDir: ctx.work });
  try {
    await ctx.dbz.start(props);
    return await fn({ url, topic, slot, props });
  } finally {
    await ctx.dbz.stop().catch(() => undefined); // nothing to do when fn stopped it
    await dropSlot(ctx.opts.serverUrl, slot).catch((e: Error) => ctx.notes.push(`cleanup of ${slot}: ${e.message}`));
    await ctx.deps.dropDatabase(url);
  }
}

async function waitSlotInactive(serverUrl: string, slot: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const deadline = Date.now() + 30_000;
    while ((await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount) {
      if (Date.now() > deadline) throw new Error(`replication slot ${slot} still active 30 s after the engine stopped`);
      await sleep(50);
    }
  } finally {
    await admin.end();
  }
}

/** The slot stays "active" for a moment after the engine's connection closes, so dropping it is retried. */
async function dropSlot(serverUrl: string, slot: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    for (let i = 0; ; i++) {
      try {
        await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        return;
      } catch (error) {
        if (i >= 100) throw error;
        await sleep(100);
      }
    }
  } finally {
    await admin.end();
  }
}

/** One generated gateway-shaped row (bench/harness/outbox-fill.ts) in its own transaction. */
async function insertGenerated(client: Client, i: number): Promise<void> {
  await client.query(
    `${GENERATED_EVENTS_CTE}
     INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers)
     SELECT event_id, 'chat.message.recorded', user_id, ${ENVELOPE_SQL}, ${HEADERS_SQL} FROM g`,
    [1_000_000 + i, 1_000_000 + i, BENCH_USERS],
  );
}

/** Writers of the one-per-transaction fill: each is a server-side loop bound by one backend's CPU. */
const FILL_WRITERS = 2;

/**
 * `rows` rows shaped like outbox-fill.ts writes them, but one per transaction, as the gateway commits them (a
 * single 100,000-row transaction would make PostgreSQL's logical decoding spill it to disk, which no gateway
 * write causes). Server-side loops with synchronous_commit off keep the fill itself quick: FILL_WRITERS of them
 * side by side, each over its own range of row numbers, so commits interleave as concurrent gateway writes do
 * (100,000 rows: 25 s with one writer, 15 s with two, no faster with three or four on this 2-core machine).
 * Neither relay is running while they write.
 */
async function fillOnePerTransaction(url: string, rows: number): Promise<void> {
  const per = Math.ceil(rows / FILL_WRITERS);
  const ranges = Array.from({ length: FILL_WRITERS }, (_, w) => [w * per, Math.min(rows, (w + 1) * per) - 1] as const).filter(([from, to]) => from <= to);
  await Promise.all(ranges.map(([from, to]) => fillRange(url, from, to)));
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE outbox.events');
  } finally {
    await client.end();
  }
}

async function fillRange(url: string, from: number, to: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET synchronous_commit = off');
    // The generated row of index n, as static SQL in the loop (its plan is prepared once).
    const cte = GENERATED_EVENTS_CTE.replace('$1::int', 'n').replace('$2::int', 'n').replaceAll('$3', String(BENCH_USERS));
    await client.query(`DO $fill$
      BEGIN
        FOR n IN ${from}..${to} LOOP
          ${cte}
          INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers)
          SELECT event_id, 'chat.message.recorded', user_id, ${ENVELOPE_SQL}, ${HEADERS_SQL} FROM g;
          COMMIT;
        END LOOP;
      END $fill$`);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
