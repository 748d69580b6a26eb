import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { OUTBOX_INSERT_SQL } from '@chat-ledger/outbox';
import { gatewayEvent } from '../harness/outbox-fill';

/**
 * Commit → record on Kafka, for whichever relay publishes `databaseUrl`'s outbox to `topic` (our OutboxRelay or
 * Debezium), in its own process so that neither relay shares an event loop with the load: rows are written one per
 * transaction with the gateway's own statement (OUTBOX_INSERT_SQL: user lock, per-user sequence, NOTIFY trigger) on
 * a fixed open-loop schedule of `rate` rows/s over `writers` connections, and a kafkajs consumer on the topic
 * timestamps each record's arrival. Latency = arrival − the moment that row's COMMIT returned, both read from this
 * process's monotonic clock; records are matched to rows by the envelope id in the record's value.
 *
 * Before the clock starts, warm-up rows are written one at a time until `warmupRows` of them arrived (a relay that
 * only starts streaming a moment after it reported "started", as Debezium's snapshot-less start does, loses none of
 * the measured rows that way).
 */
export interface CdcLatencyPlan {
  databaseUrl: string;
  brokers: string;
  topic: string;
  rate: number;
  seconds: number;
  writers: number;
  warmupRows: number;
  /** kafkajs consumer: the broker answers a waiting fetch as soon as records arrive, or after this. */
  maxWaitTimeInMs: number;
}

export interface CdcLatencyResult {
  sent: number;
  latencies_ms: number[];
  missing: number;
  duplicates: number;
  achieved_rate: number;
  warmup_ms: number;
}

const USERS = 50;
const GRACE_MS = 30_000;
const WARMUP_TIMEOUT_MS = 60_000;

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as CdcLatencyPlan;
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const kafka = new Kafka({ clientId: 'bench-cdc-latency', brokers: plan.brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-cdc-latency-${randomUUID()}`, maxWaitTimeInMs: plan.maxWaitTimeInMs });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.connect();
  await consumer.subscribe({ topics: [plan.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const id = (JSON.parse(m.value!.toString('utf8')) as { id: string }).id;
        if (arrivals.has(id)) duplicates++;
        else arrivals.set(id, now);
      }
    },
  });
  const joinDeadline = Date.now() + 60_000;
  while (!joined) {
    if (Date.now() > joinDeadline) throw new Error('consumer did not join its group in 60 s');
    await sleep(10);
  }

  const clients = await Promise.all(
    Array.from({ length: plan.writers }, async () => {
      const c = new Client({ connectionString: plan.databaseUrl });
      await c.connect();
      return c;
    }),
  );
  const insert = async (client: Client, n: number): Promise<{ id: string; committedAt: number }> => {
    const user = `bench-lat-${n % USERS}`;
    const event = gatewayEvent(user, randomUUID(), randomUUID());
    await client.query('BEGIN');
    await client.query(OUTBOX_INSERT_SQL, [
      event.envelope.id,
      'chat.message.recorded',
      user,
      JSON.stringify(event.envelope),
      JSON.stringify(event.headers),
      false,
    ]);
    await client.query('COMMIT');
    return { id: event.envelope.id as string, committedAt: performance.now() };
  };

  // Warm-up, one row at a time: every relay connection, the topic's metadata and the consumer's fetch loop in place.
  const warmStarted = performance.now();
  let warm = 0;
  for (let n = 0; warm < plan.warmupRows; n++) {
    if (performance.now() - warmStarted > WARMUP_TIMEOUT_MS)
      throw new Error(`only ${warm} of ${plan.warmupRows} warm-up rows arrived in ${WARMUP_TIMEOUT_MS / 1000} s`);
    const { id } = await insert(clients[0]!, n);
    const until = performance.now() + 1_000;
    while (!arrivals.has(id) && performance.now() < until) await sleep(2);
    if (arrivals.has(id)) warm++;
  }
  const warmupMs = performance.now() - warmStarted;
  arrivals.clear();
  duplicates = 0;

  const committed = new Map<string, number>();
  const total = Math.round(plan.rate * plan.seconds);
  const chains: Promise<void>[] = clients.map(() => Promise.resolve());
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    // Fixed schedule: row i is due at started + i / rate; each writer connection runs its rows one after another.
    const wait = started + (i * 1000) / plan.rate - performance.now();
    if (wait > 1) await sleep(wait);
    const w = i % clients.length;
    chains[w] = chains[w]!.then(async () => {
      const { id, committedAt } = await insert(clients[w]!, i);
      committed.set(id, committedAt);
    });
  }
  await Promise.all(chains);
  const achievedRate = total / ((performance.now() - started) / 1000);
  const until = performance.now() + GRACE_MS;
  const outstanding = () => [...committed.keys()].some((id) => !arrivals.has(id));
  while (outstanding() && performance.now() < until) await sleep(20);

  const latencies: number[] = [];
  let missing = 0;
  for (const [id, at] of committed) {
    const arrived = arrivals.get(id);
    if (arrived === undefined) missing++;
    else latencies.push(arrived - at);
  }
  await consumer.disconnect();
  await Promise.all(clients.map((c) => c.end()));
  const result: CdcLatencyResult = { sent: total, latencies_ms: latencies, missing, duplicates, achieved_rate: achievedRate, warmup_ms: Math.round(warmupMs) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
