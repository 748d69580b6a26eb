import type { BenchDeps } from '../harness/bench-stack';
import { Agent } from 'node:http';
import { Client } from 'pg';
import { benchToken, runLoadProcess, startGateway, startLedger, startRelay } from '../harness/bench-apps';
import { LatencySummary, median, summarizeLatency } from '../harness/stats';
import type { E2eLoadPlan, E2eLoadResult } from '../load/e2e-load';
import { post } from '../load/http-post';
import type { CpuGroup } from '../harness/cpu-usage';
import { meanOf, scrapeSums } from '../harness/prom-scrape';
import { MESSAGE_BODY } from './write-path.bench';

export const E2E_POLL_MS = 2;

/** Where the time went in one run: the apps' own /metrics (means over the run), the rows' clocks and /proc. */
export interface E2eCounters {
  ledger_batches: number;
  ledger_mean_batch_size: number | null;
  ledger_mean_batch_ms: number | null;
  relay_batches: number;
  relay_mean_batch_ms: number | null;
  gateway_mean_post_ms: number | null;
  /** Per message, from the rows' own clocks (one PostgreSQL clock): where the time between write and apply went. */
  stages: E2eStages;
  /** Cores each process group used while messages were being sent (2 on this machine in all). */
  cpu_cores: Partial<Record<CpuGroup, number>>;
}

/** Percentiles (ms) of two stages: written → claimed by the relay, claimed → the ledger's apply transaction began. */
export interface E2eStages {
  to_relay_claim: { p50_ms: number; p95_ms: number; p99_ms: number };
  claim_to_ledger_apply: { p50_ms: number; p95_ms: number; p99_ms: number };
}

/**
 * The message's time (occurred_at: its write, clock_timestamp()), its outbox row's published_at (now() of the
 * relay's claim transaction: when the relay took it) and its journal row's applied_at (now() of the ledger's apply
 * transaction), all from the same PostgreSQL clock.
 */
async function stagesOf(databaseUrl: string, since: string): Promise<E2eStages> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ relay: number[]; ledger: number[] }>(
      `WITH t AS (
         SELECT extract(epoch FROM o.published_at - (o.payload->>'occurred_at')::timestamptz) * 1000 AS relay,
                extract(epoch FROM e.applied_at - o.published_at) * 1000 AS ledger
           FROM outbox.events o JOIN ledger.entries e ON e.event_id = o.event_id
          WHERE o.created_at >= $1::timestamptz)
       SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY relay) AS relay,
              percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY ledger) AS ledger
         FROM t`,
      [since],
    );
    const of = (p: number[]) => ({ p50_ms: round1(p[0]!), p95_ms: round1(p[1]!), p99_ms: round1(p[2]!) });
    return { to_relay_claim: of(rows[0]!.relay), claim_to_ledger_apply: of(rows[0]!.ledger) };
  } finally {
    await db.end();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** POST answered → applied (the headline figures, as before) and POST sent → applied (`from_send`). */
export interface E2eRateResult extends LatencySummary {
  rate: number;
  achieved_rate: number;
  /** Answers per second over the measured window (median over runs): below `rate`, the gateway did not keep up. */
  answered_rate: number;
  from_send: LatencySummary;
  runs: LatencySummary[];
  from_send_runs: LatencySummary[];
  counters: E2eCounters[];
}

/** Per percentile, the median over the runs; max is the largest of all. */
function medianSummary(runs: LatencySummary[]): LatencySummary {
  const pick = (k: keyof LatencySummary) => median(runs.map((r) => r[k]));
  return {
    samples: runs.reduce((a, r) => a + r.samples, 0),
    p50_ms: pick('p50_ms'),
    p95_ms: pick('p95_ms'),
    p99_ms: pick('p99_ms'),
    max_ms: Math.max(...runs.map((r) => r.max_ms)),
  };
}

async function countersOf(
  urls: { ledger: string; relay: string; gateway: string; database: string },
  measuredFrom: string,
  cpu: Partial<Record<CpuGroup, number>>,
): Promise<E2eCounters> {
  const ledger = await scrapeSums(urls.ledger, [
    'ledger_batch_size_sum',
    'ledger_batch_size_count',
    'ledger_batch_duration_seconds_sum',
    'ledger_batch_duration_seconds_count',
  ]);
  const relay = await scrapeSums(urls.relay, ['outbox_publish_batch_duration_seconds_sum', 'outbox_publish_batch_duration_seconds_count']);
  const posts = await scrapeSums(
    urls.gateway,
    ['http_request_duration_seconds_sum', 'http_request_duration_seconds_count'],
    (l) => l.includes('method="POST"') && l.includes('/messages'),
  );
  return {
    ledger_batches: ledger.ledger_batch_size_count!,
    ledger_mean_batch_size: meanOf(ledger, 'ledger_batch_size'),
    ledger_mean_batch_ms: meanOf(ledger, 'ledger_batch_duration_seconds', 1000),
    relay_batches: relay.outbox_publish_batch_duration_seconds_count!,
    relay_mean_batch_ms: meanOf(relay, 'outbox_publish_batch_duration_seconds', 1000),
    gateway_mean_post_ms: meanOf(posts, 'http_request_duration_seconds', 1000),
    stages: await stagesOf(urls.database, measuredFrom),
    cpu_cores: cpu,
  };
}

/**
 * Scenario 4: the whole pipeline as deployed: chat-gateway (with its in-process relay, or with
 * `standaloneRelay` the relay as its own process beside it, as docker-compose runs one) and
 * ledger-consumer as separate processes, default settings, one database, one topic; messages posted
 * at a fixed rate after an unmeasured warm-up at the same rate; latency = POST response → event applied in the
 * ledger, and POST sent → applied. Per rate, the median of each percentile over the runs.
 */
export async function e2eScenario(
  deps: BenchDeps,
  opts: { rates: number[]; seconds: number; warmupSeconds: number; runs: number; partitions: number; users: number; standaloneRelay: boolean },
  log: (s: string) => void,
): Promise<Record<string, E2eRateResult>> {
  const out: Record<string, E2eRateResult> = {};
  for (const rate of opts.rates) {
    const runs: LatencySummary[] = [];
    const fromSendRuns: LatencySummary[] = [];
    const achieved: number[] = [];
    const answered: number[] = [];
    const counters: E2eCounters[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const url = await deps.freshDatabase('bench_e2e');
      const topic = await deps.newTopic('bench-e2e', opts.partitions);
      const kafkaEnv = { KAFKA_BROKERS: deps.brokers, KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: String(opts.partitions) };
      // The ledger keeps its default KAFKA_MAX_WAIT_MS (100): Kafka answers a waiting fetch as soon as records
      // arrive, so the max wait bounds only fetches that find nothing, not the latency measured here.
      const ledger = await startLedger({ DATABASE_URL: url, ...kafkaEnv, KAFKA_GROUP_ID: `bench-${topic}` });
      const gateway = await startGateway({ DATABASE_URL: url, ...kafkaEnv, ...(opts.standaloneRelay ? { RELAY_ENABLED: 'false' } : {}) });
      const relayApp = opts.standaloneRelay ? await startRelay({ DATABASE_URL: url, ...kafkaEnv }) : undefined;
      try {
        const agent = new Agent({ keepAlive: true });
        const workers: E2eLoadPlan['workers'] = [];
        for (let u = 0; u < opts.users; u++) {
          const token = await benchToken(`bench-e2e-${u}`);
          const res = await post(agent, new URL('/v1/conversations', gateway.baseUrl), token, JSON.stringify({ title: 'bench' }));
          if (res.status !== 201) throw new Error(`creating a conversation failed: ${res.status} ${res.text}`);
          workers.push({ token, conversationId: (JSON.parse(res.text) as { conversation_id: string }).conversation_id });
        }
        agent.destroy();
        const result = await runLoadProcess<E2eLoadResult>('e2e-load.js', {
          baseUrl: gateway.baseUrl,
          ledgerDatabaseUrl: url,
          rate,
          seconds: opts.seconds,
          warmupSeconds: opts.warmupSeconds,
          pollMs: E2E_POLL_MS,
          workers,
          body: MESSAGE_BODY,
        } satisfies E2eLoadPlan);
        if (result.failed > 0 || result.missing > 0) {
          throw new Error(
            `e2e at ${rate}/s: ${result.failed} failed requests, ${result.missing} events not in the ledger after 30 s; first error: ${result.firstError}`,
          );
        }
        const summary = summarizeLatency(result.latencies_ms);
        const fromSend = summarizeLatency(result.latencies_from_send_ms);
        runs.push(summary);
        fromSendRuns.push(fromSend);
        const seen = await countersOf(
          { ledger: ledger.baseUrl, relay: relayApp?.baseUrl ?? gateway.baseUrl, gateway: gateway.baseUrl, database: url },
          result.measured_from,
          result.cpu_cores,
        );
        counters.push(seen);
        log(`e2e ${rate}/s counters: ${JSON.stringify(seen)}`);
        achieved.push(Math.round(result.achieved_rate));
        answered.push(Math.round(result.answered_rate));
        log(
          `e2e ${rate}/s run ${i + 1}/${opts.runs}: answered → applied p50 ${summary.p50_ms} ms, p95 ${summary.p95_ms} ms, p99 ${summary.p99_ms} ms, max ${summary.max_ms} ms; ` +
            `sent → applied p50 ${fromSend.p50_ms} ms, p99 ${fromSend.p99_ms} ms (${summary.samples} messages, answered at ${Math.round(result.answered_rate)}/s)`,
        );
      } finally {
        await relayApp?.app.stop();
        await gateway.app.stop();
        await ledger.app.stop();
        await deps.dropDatabase(url);
      }
    }
    out[String(rate)] = {
      rate,
      achieved_rate: median(achieved),
      answered_rate: median(answered),
      ...medianSummary(runs),
      from_send: medianSummary(fromSendRuns),
      runs,
      from_send_runs: fromSendRuns,
      counters,
    };
  }
  return out;
}
