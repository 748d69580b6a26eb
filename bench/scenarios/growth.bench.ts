import type { BenchDeps } from '../harness/bench-stack';
import { Client } from 'pg';
import { OutboxRelay, relayOptionsFromEnv } from '@chat-ledger/outbox';
import { fillOutbox, OutboxMessage } from '../harness/outbox-fill';
import { median, ratio } from '../harness/stats';
import { ledgerApplyEps } from './ledger.bench';
import { rawProduceEps, relayDrainEps, relayEnv } from './relay.bench';

export interface GrowthPoint {
  rows: number;
  relay_eps: number;
  /** Relay rate relative to the smallest size (start-up included, so small sizes look slower). */
  relay_vs_smallest: number;
  /**
   * The relay's rate once it is publishing: from the first batch's claim to the last one's, by the rows'
   * published_at (the claim transaction's start, PostgreSQL's clock), so the relay's start-up (Kafka connection,
   * shard leases), which weighs on a 1-second drain and not on a 1-minute one, is left out.
   */
  relay_flowing_eps: number;
  /** relay_flowing_eps relative to the smallest size: ≈ 1 means the cost per row does not grow with the table. */
  relay_flowing_vs_smallest: number;
  /** The smallest size's drains (see `smallestRuns`), whose medians are relay_eps and relay_flowing_eps. */
  relay_runs?: number[];
  relay_flowing_runs?: number[];
  /**
   * The ledger's rate from the moment it is ready (its consumer has joined the group) until the last event is seen
   * applied in its /metrics (polled every 25 ms): its first fetch and the last batch included.
   */
  ledger_eps: number;
  ledger_vs_smallest: number;
  /**
   * The ledger's rate once applying, from its first batch's transaction to its last one's (journal applied_at): the
   * first fetch, the last batch and the metrics polling, together 0.2–0.4 s of a 10,000-event apply that takes about
   * a second, are left out.
   */
  ledger_flowing_eps: number;
  /** ledger_flowing_eps relative to the smallest size: ≈ 1 means the cost per event does not grow with the journal. */
  ledger_flowing_vs_smallest: number;
  /** outbox.events (heap + indexes + toast) right after the drain, MiB. */
  outbox_mib_after_drain: number;
  /** After retention deleted every published row and two plain VACUUMs made the space reusable (see expireAll), MiB. */
  outbox_mib_after_retention: number;
  /** After the same number of rows was written, drained and expired again: reused space, not growth. */
  outbox_mib_after_second_cycle?: number;
}

/**
 * Rows per second between the first batch's transaction start and the last one's, from a timestamp column every
 * batch fills with its transaction's now(): the outbox's published_at (the relay's claim transaction) or the
 * journal's applied_at (the ledger's batch transaction). The rows of all batches but the last were written within
 * that span. Ledger batches of several partitions overlap, so there it is the rate at which batches got through.
 */
async function flowingEps(db: Client, from: 'outbox' | 'ledger'): Promise<number> {
  const [column, rowsOf] =
    from === 'outbox'
      ? ['published_at', `outbox.events WHERE status = 'published'`]
      : // the journal's prefilled rows carry the prefill's now() (prefillJournal), not a batch's
        ['applied_at', `ledger.entries WHERE kafka_topic <> 'prefill'`];
  const { rows } = await db.query<{ secs: number; total: string; last: string }>(
    `WITH b AS (SELECT ${column} AS at, count(*) AS n FROM ${rowsOf} GROUP BY 1)
     SELECT EXTRACT(EPOCH FROM max(at) - min(at))::float8 AS secs, sum(n) AS total,
            (SELECT n FROM b ORDER BY at DESC LIMIT 1) AS last
       FROM b`,
  );
  const { secs, total, last } = rows[0]!;
  return secs > 0 ? Math.round((Number(total) - Number(last)) / secs) : 0;
}

/** Rows of the unmeasured drain before the first size. */
const WARMUP_ROWS = 10_000;

const mib = async (db: Client) =>
  Math.round((Number((await db.query<{ b: string }>(`SELECT pg_total_relation_size('outbox.events') AS b`)).rows[0]!.b) / 2 ** 20) * 10) / 10;

/**
 * Retention with a zero window (the production sweep, batch by batch), then two plain VACUUMs, as autovacuum's
 * passes would come. The first removes the dead rows and deletes the emptied b-tree pages, but a deleted page can be
 * reused only once no transaction that might still reach it is running, which that VACUUM itself cannot see happen:
 * it is the next pass that hands the pages to the free space map. With one VACUUM per cycle the index files end the
 * second cycle at twice their first-cycle size and stay there (measured over four cycles), because each fill can
 * reuse only the pages of the cycle before last.
 */
async function expireAll(url: string, brokers: string, topic: string, partitions: number): Promise<void> {
  const relay = new OutboxRelay(
    // The production sweep with a zero window; 5,000 rows per statement instead of 1,000 keeps the 1M point in budget.
    { ...relayOptionsFromEnv(relayEnv(brokers, topic, partitions), url), retentionMs: 0, retentionBatchSize: 5_000, checkTopic: false },
    { log: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
  );
  try {
    await relay.runRetentionOnce();
  } finally {
    await relay.stop();
  }
  const db = new Client({ connectionString: url });
  await db.connect();
  await db.query('VACUUM outbox.events');
  await db.query('VACUUM outbox.events');
  await db.end();
}

/**
 * A ledger journal that already holds `rows` entries (and their per-message totals), written with
 * set-based SQL: the apply measured on top of it shows whether the per-event cost grows with the journal.
 */
async function prefillJournal(url: string, rows: number): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO ledger.entries (event_id, event_type, event_version, source, user_id, conversation_id, message_id, role, model,
                                   reason, tokens_delta, prompt_tokens, completion_tokens, total_tokens, occurred_at, effective_at,
                                   kafka_topic, kafka_partition, kafka_offset, payload_digest)
       SELECT gen_random_uuid(), 'chat.message.recorded', 1, 'chat-gateway', 'bench-u-' || (i % 1000),
              (overlay(overlay(md5('conv' || (i % 1000)) placing '4' from 13 for 1) placing '8' from 17 for 1))::uuid,
              gen_random_uuid(), 'assistant', 'gpt-4o', 'message', 200, 120, 80, 200,
              now() - i * interval '1 second', now() - i * interval '1 second', 'prefill', i % 32, i,
              -- a digest like the ledger's own rows carry (SHA-256 of the payload): with none, the planner sees a
              -- column that is all NULL and plans the batch's conflict check differently than on a real journal
              sha256(i::text::bytea)
         FROM generate_series(1, $1::int) AS i`,
      [rows],
    );
    await db.query(
      `INSERT INTO ledger.message_totals (message_id, conversation_id, user_id, tokens_total, events_count)
       SELECT message_id, conversation_id, user_id, tokens_delta, 1 FROM ledger.entries`,
    );
    await db.query('ANALYZE ledger.entries, ledger.message_totals');
  } finally {
    await db.end();
  }
}

/**
 * Scenario 6. For each size N: the relay drains N pending rows (rate), retention expires them and the
 * outbox's size is read after each step; the ledger applies `applyEvents` events on top of a journal of
 * N entries (rate). One run per size (the 1M point alone takes minutes), except the smallest size's relay drain,
 * the reference of the relay's ratios, whose figures are the medians of `smallestRuns` drains (the ledger's apply
 * runs once per size, and its ratios rest on one run at 10k).
 */
export async function growthScenario(
  deps: BenchDeps,
  messages: OutboxMessage[],
  opts: {
    sizes: number[];
    partitions: number;
    secondCycleUpTo: number;
    /**
     * Relay drains of the smallest size, each on a fresh database, whose medians are its relay figures: every other
     * size is compared with that one, and a drain of 10,000 rows lasts about a third of a second, so one is noisy.
     */
    smallestRuns: number;
  },
  log: (s: string) => void,
): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = [];
  // One topic for every drain, and an unmeasured drain into it before the first size, for two one-time costs that
  // are neither per row nor a matter of the table's size: Kafka creates a partition's index files at the append that
  // writes its first index entry (the second batch of ~16 records into a new partition; ~6 ms a partition here, so a
  // drain into a new 32-partition topic stalled ~200 ms on its second send, a third of the 10k point's time), and the
  // relay's code in this process is not yet JIT-compiled (the first of several 10k drains ran at half the next ones' rate).
  const relayTopic = await deps.newTopic('bench-growth', opts.partitions);
  const warmUrl = await deps.freshDatabase('bench_growth_warmup');
  try {
    await fillOutbox(warmUrl, WARMUP_ROWS);
    await relayDrainEps(warmUrl, deps.brokers, relayTopic, opts.partitions, WARMUP_ROWS);
  } finally {
    await deps.dropDatabase(warmUrl);
  }
  for (const rows of opts.sizes) {
    const url = await deps.freshDatabase('bench_growth');
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      // Fill `rows` pending rows into the database behind `on`, drain them, and read both rates.
      const drain = async (on: { url: string; db: Client }) => {
        await fillOutbox(on.url, rows);
        const eps = Math.round(await relayDrainEps(on.url, deps.brokers, relayTopic, opts.partitions, rows));
        return { eps, flowing: await flowingEps(on.db, 'outbox') };
      };
      const drains: Array<{ eps: number; flowing: number }> = [];
      for (let i = 1; points.length === 0 && i < opts.smallestRuns; i++) {
        const extraUrl = await deps.freshDatabase('bench_growth');
        const extraDb = new Client({ connectionString: extraUrl });
        await extraDb.connect();
        try {
          drains.push(await drain({ url: extraUrl, db: extraDb }));
        } finally {
          await extraDb.end();
          await deps.dropDatabase(extraUrl);
        }
      }
      drains.push(await drain({ url, db })); // the one whose outbox the rest of this size goes on with
      const relayRuns = drains.map((d) => d.eps);
      const flowingRuns = drains.map((d) => d.flowing);
      const relayEps = Math.round(median(relayRuns));
      const relayFlowingEps = Math.round(median(flowingRuns));
      const afterDrain = await mib(db);
      await expireAll(url, deps.brokers, 'unused', opts.partitions);
      const afterRetention = await mib(db);
      let afterSecond: number | undefined;
      if (rows <= opts.secondCycleUpTo) {
        await fillOutbox(url, rows, rows);
        await relayDrainEps(url, deps.brokers, relayTopic, opts.partitions, rows);
        await expireAll(url, deps.brokers, 'unused', opts.partitions);
        afterSecond = await mib(db);
      }
      await prefillJournal(url, rows);
      const topic = await deps.newTopic('bench-growth-ledger', opts.partitions);
      await rawProduceEps(deps.brokers, topic, messages);
      const ledgerEps = Math.round(await ledgerApplyEps(url, deps.brokers, topic, opts.partitions, messages.length));
      const ledgerFlowingEps = await flowingEps(db, 'ledger');
      const first = points[0];
      points.push({
        rows,
        relay_eps: relayEps,
        relay_vs_smallest: first ? ratio(relayEps, first.relay_eps) : 1,
        relay_flowing_eps: relayFlowingEps,
        relay_flowing_vs_smallest: first ? ratio(relayFlowingEps, first.relay_flowing_eps) : 1,
        ...(relayRuns.length > 1 ? { relay_runs: relayRuns, relay_flowing_runs: flowingRuns } : {}),
        ledger_eps: ledgerEps,
        ledger_vs_smallest: first ? ratio(ledgerEps, first.ledger_eps) : 1,
        ledger_flowing_eps: ledgerFlowingEps,
        ledger_flowing_vs_smallest: first ? ratio(ledgerFlowingEps, first.ledger_flowing_eps) : 1,
        outbox_mib_after_drain: afterDrain,
        outbox_mib_after_retention: afterRetention,
        ...(afterSecond !== undefined ? { outbox_mib_after_second_cycle: afterSecond } : {}),
      });
      log(
        `growth ${rows} rows: relay ${relayEps} ev/s (${relayFlowingEps} once publishing), ledger ${ledgerEps} ev/s (${ledgerFlowingEps} once applying, on a journal of ${rows}), outbox ${afterDrain} MiB → ${afterRetention} MiB after retention${afterSecond !== undefined ? ` → ${afterSecond} MiB after a second cycle` : ''}`,
      );
    } finally {
      await db.end();
      await deps.dropDatabase(url);
    }
  }
  return points;
}
