import type { BenchDeps } from '../harness/bench-stack';
import { Consumer, EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { decodeTokenEvent } from '@chat-ledger/contracts';
import { APPLY_SQL, LedgerConfig, toJournalRow } from '../../apps/ledger-consumer/src/index';
import { startLedger } from '../harness/bench-apps';
import { OutboxMessage } from '../harness/outbox-fill';
import { median, ratio } from '../harness/stats';
import { rawProduceEps } from './relay.bench';

/** The ledger-consumer's own consumer settings (LedgerConfig defaults), so the raw side reads alike. */
const LEDGER_DEFAULTS = new LedgerConfig();
const CONSUMER = {
  maxWaitTimeInMs: LEDGER_DEFAULTS.KAFKA_MAX_WAIT_MS,
  maxBytesPerPartition: LEDGER_DEFAULTS.KAFKA_MAX_BYTES_PER_PARTITION,
  sessionTimeout: LEDGER_DEFAULTS.KAFKA_SESSION_TIMEOUT_MS,
  heartbeatInterval: LEDGER_DEFAULTS.heartbeatIntervalMs,
} as const;
const PARTITIONS_CONCURRENCY = LEDGER_DEFAULTS.KAFKA_PARTITIONS_CONCURRENCY;
const CONSUME_TIMEOUT_MS = 300_000;
const APPLY_TIMEOUT_MS = 300_000;

function kafkaClient(brokers: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.NOTHING });
}

/** Runs a consumer group from the beginning of `topic` until `target` messages were handled; returns msg/s after the join. */
async function consumeUntil(brokers: string, topic: string, target: number, handle: (payload: EachBatchPayload) => Promise<number>): Promise<number> {
  const consumer: Consumer = kafkaClient(brokers, 'bench-consumer').consumer({ groupId: `bench-${topic}-${Date.now()}`, ...CONSUMER });
  let joinedAt = 0;
  let handled = 0;
  let resolveDone!: (at: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ||= Date.now()));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENCY,
      eachBatch: async (payload) => {
        if (handled >= target) return;
        // Not `handled += await …`: that reads `handled` before the await and loses concurrent partitions' counts.
        const n = await handle(payload);
        handled += n;
        if (handled >= target) resolveDone(Date.now());
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`consumed ${handled}/${target} in ${CONSUME_TIMEOUT_MS / 1000} s`)), CONSUME_TIMEOUT_MS);
    });
    const finished = await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    return handled / ((finished - joinedAt) / 1000);
  } finally {
    await consumer.disconnect();
  }
}

/** Scenario 3a: kafkajs consumer reading every event, decoding nothing, writing nothing. */
export function rawConsumeEps(brokers: string, topic: string, events: number): Promise<number> {
  return consumeUntil(brokers, topic, events, async ({ batch, resolveOffset, heartbeat }) => {
    resolveOffset(batch.lastOffset());
    await heartbeat();
    return batch.messages.length;
  });
}

/**
 * Scenario 3c: the naive floor. Every event decoded and validated like the ledger does, then applied in
 * a transaction of its own with the very same statement (journal insert + folds) the ledger uses, as many
 * partitions at a time as the ledger, each on a connection of its own (one shared connection would run the
 * partitions' transactions interleaved in one session). Measured on about the first `events` of the topic
 * (it is slow; its rate does not depend on the count): a Kafka fetch hands over up to 1 MiB per partition,
 * so a batch stops early once `events` are applied instead of being worked through.
 */
export async function naiveApplyEps(url: string, brokers: string, topic: string, events: number): Promise<number> {
  const pool = new Pool({ connectionString: url, max: PARTITIONS_CONCURRENCY });
  let applied = 0;
  try {
    return await consumeUntil(brokers, topic, events, async ({ batch, resolveOffset, heartbeat }) => {
      const db = await pool.connect();
      let n = 0;
      try {
        for (const m of batch.messages) {
          if (applied >= events) break;
          const record = {
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers,
            timestamp: m.timestamp,
          };
          const decoded = decodeTokenEvent(m.value);
          if (!decoded.ok) throw new Error(`bench event did not decode: ${decoded.error}`);
          await db.query('BEGIN');
          await db.query(APPLY_SQL, [JSON.stringify([toJournalRow(decoded.event, record)])]);
          await db.query('COMMIT');
          resolveOffset(m.offset);
          applied++;
          n++;
        }
      } finally {
        db.release();
      }
      await heartbeat();
      return n;
    });
  } finally {
    await pool.end();
  }
}

/** ledger_events_applied_total from the ledger's /metrics: counted after each batch commits. */
async function appliedSoFar(baseUrl: string): Promise<{ applied: number; dead: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const sum = (metric: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(metric))
      .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  return { applied: sum('ledger_events_applied_total'), dead: sum('ledger_dead_letters_total') };
}

/**
 * Scenario 3b: ledger-consumer, its own process with its default settings, applying the topic from the
 * beginning. Timed from the moment it is up (group joined) until it has applied `events` events, read
 * from its own metrics (no count(*) competing with it); events applied before that moment are not counted.
 */
export async function ledgerApplyEps(url: string, brokers: string, topic: string, partitions: number, events: number): Promise<number> {
  const ledger = await startLedger({
    DATABASE_URL: url,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_TOPIC_PARTITIONS: String(partitions),
    KAFKA_GROUP_ID: `bench-${topic}`,
  });
  try {
    const t0 = Date.now();
    const n0 = (await appliedSoFar(ledger.baseUrl)).applied;
    const deadline = t0 + APPLY_TIMEOUT_MS;
    for (;;) {
      const { applied, dead } = await appliedSoFar(ledger.baseUrl);
      if (dead > 0) throw new Error(`the ledger dead-lettered ${dead} bench events: the generator is wrong`);
      if (applied >= events) return (events - n0) / ((Date.now() - t0) / 1000);
      if (Date.now() > deadline)
        throw new Error(`ledger applied ${applied}/${events} in ${APPLY_TIMEOUT_MS / 1000} s; its log: ${ledger.lines.slice(-8).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await ledger.app.stop();
  }
}

export interface LedgerResult {
  events: number;
  naive_events: number;
  raw_consume_eps: number;
  ledger_eps: number;
  naive_eps: number;
  ratio_vs_raw: number;
  ratio_vs_naive: number;
  runs: { raw: number[]; ledger: number[]; naive: number[] };
}

/** Per run: one fresh topic holding the events; raw, ledger (fresh database) and naive (fresh database) read it. */
export async function ledgerScenario(
  deps: BenchDeps,
  messages: OutboxMessage[],
  opts: { runs: number; partitions: number; naiveEvents: number },
  log: (s: string) => void,
): Promise<LedgerResult> {
  const runs = { raw: [] as number[], ledger: [] as number[], naive: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    const topic = await deps.newTopic('bench-ledger', opts.partitions);
    await rawProduceEps(deps.brokers, topic, messages);
    runs.raw.push(Math.round(await rawConsumeEps(deps.brokers, topic, messages.length)));
    const url = await deps.freshDatabase('bench_ledger');
    runs.ledger.push(Math.round(await ledgerApplyEps(url, deps.brokers, topic, opts.partitions, messages.length)));
    await deps.dropDatabase(url);
    const naiveUrl = await deps.freshDatabase('bench_naive');
    runs.naive.push(Math.round(await naiveApplyEps(naiveUrl, deps.brokers, topic, opts.naiveEvents)));
    await deps.dropDatabase(naiveUrl);
    log(
      `ledger run ${i + 1}/${opts.runs} (${messages.length} events): raw consumer ${runs.raw[i]} ev/s, ledger ${runs.ledger[i]} ev/s, naive ${runs.naive[i]} ev/s`,
    );
  }
  const raw = median(runs.raw);
  const ledger = median(runs.ledger);
  const naive = median(runs.naive);
  return {
    events: messages.length,
    naive_events: opts.naiveEvents,
    raw_consume_eps: raw,
    ledger_eps: ledger,
    naive_eps: naive,
    ratio_vs_raw: ratio(ledger, raw),
    ratio_vs_naive: ratio(ledger, naive),
    runs,
  };
}
