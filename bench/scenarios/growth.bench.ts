import type { BenchDeps } from '../harness/bench-stack';
import { Client } from 'pg';
import { OutboxRelay, relayOptionsFromEnv } from '@chat-ledger/outbox';
import { fillOutbox, OutboxMessage } from '../harness/outbox-fill';
import { ratio } from '../harness/stats';
import { ledgerApplyEps } from './ledger.bench';
import { rawProduceEps, relayDrainEps, relayEnv } from './relay.bench';

export interface GrowthPoint {
  rows: number;
  relay_eps: number;
  /** Relay rate relative to the smallest size: ≈ 1 means the cost per row does not grow with the table. */
  relay_vs_smallest: number;
  ledger_eps: number;
  ledger_vs_smallest: number;
  /** outbox.events (heap + indexes + toast) right after the drain, MiB. */
  outbox_mib_after_drain: number;
  /** After retention deleted every published row and a plain VACUUM made the space reusable, MiB. */
  outbox_mib_after_retention: number;
  /** After the same number of rows was written, drained and expired again: reused space, not growth. */
  outbox_mib_after_second_cycle?: number;
}

const mib = async (db: Client) =>
  Math.round((Number((await db.query<{ b: string }>(`SELECT pg_total_relation_size('outbox.events') AS b`)).rows[0]!.b) / 2 ** 20) * 10) / 10;

/** Retention with a zero window (the production sweep, batch by batch), then a plain VACUUM. */
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
                                   kafka_topic, kafka_partition, kafka_offset)
       SELECT gen_random_uuid(), 'chat.message.recorded', 1, 'chat-gateway', 'bench-u-' || (i % 1000),
              (overlay(overlay(md5('conv' || (i % 1000)) placing '4' from 13 for 1) placing '8' from 17 for 1))::uuid,
              gen_random_uuid(), 'assistant', 'gpt-4o', 'message', 200, 120, 80, 200,
              now() - i * interval '1 second', now() - i * interval '1 second', 'prefill', i % 32, i
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
 * N entries (rate). One run per size (the 1M point alone takes minutes).
 */
export async function growthScenario(
  deps: BenchDeps,
  messages: OutboxMessage[],
  opts: { sizes: number[]; partitions: number; secondCycleUpTo: number },
  log: (s: string) => void,
): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = [];
  for (const rows of opts.sizes) {
    const url = await deps.freshDatabase('bench_growth');
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      await fillOutbox(url, rows);
      const relayEps = Math.round(await relayDrainEps(url, deps.brokers, await deps.newTopic('bench-growth', opts.partitions), opts.partitions, rows));
      const afterDrain = await mib(db);
      await expireAll(url, deps.brokers, 'unused', opts.partitions);
      const afterRetention = await mib(db);
      let afterSecond: number | undefined;
      if (rows <= opts.secondCycleUpTo) {
        await fillOutbox(url, rows, rows);
        await relayDrainEps(url, deps.brokers, await deps.newTopic('bench-growth', opts.partitions), opts.partitions, rows);
        await expireAll(url, deps.brokers, 'unused', opts.partitions);
        afterSecond = await mib(db);
      }
      await prefillJournal(url, rows);
      const topic = await deps.newTopic('bench-growth-ledger', opts.partitions);
      await rawProduceEps(deps.brokers, topic, messages);
      const ledgerEps = Math.round(await ledgerApplyEps(url, deps.brokers, topic, opts.partitions, messages.length));
      const first = points[0];
      points.push({
        rows,
        relay_eps: relayEps,
        relay_vs_smallest: first ? ratio(relayEps, first.relay_eps) : 1,
        ledger_eps: ledgerEps,
        ledger_vs_smallest: first ? ratio(ledgerEps, first.ledger_eps) : 1,
        outbox_mib_after_drain: afterDrain,
        outbox_mib_after_retention: afterRetention,
        ...(afterSecond !== undefined ? { outbox_mib_after_second_cycle: afterSecond } : {}),
      });
      log(
        `growth ${rows} rows: relay ${relayEps} ev/s, ledger ${ledgerEps} ev/s (on a journal of ${rows}), outbox ${afterDrain} MiB → ${afterRetention} MiB after retention${afterSecond !== undefined ? ` → ${afterSecond} MiB after a second cycle` : ''}`,
      );
    } finally {
      await db.end();
      await deps.dropDatabase(url);
    }
  }
  return points;
}
