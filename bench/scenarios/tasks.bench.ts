import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { BenchDeps } from '../harness/bench-stack';
import { benchToken, runLoadProcess, startGateway } from '../harness/bench-apps';
import { summarizeLatency, type LatencySummary } from '../harness/stats';
import type { ServerSide } from '../load/http-histogram';
import type { PacedHttpPlan, PacedHttpResult } from '../load/paced-http';

/** The service that "created" the seeded tasks: only it may heartbeat them. */
const SERVICE = 'bench-task-service';
const KINDS = ['title_generation', 'summarisation', 'agent_run', 'indexing'];
/** The gateway's default TASK_STALL_AFTER (5 min): tasks seeded with an older last_update_at are stalled. */
const STALL_MINUTES = 5;

/** Targets of the tasks issue. */
export const TASKS_LIST_P99_MS = 50;
export const TASKS_HEARTBEAT_P99_MS = 2;

export interface TasksOptions {
  tasks: number;
  users: number;
  listRate: number;
  listSeconds: number;
  heartbeatRate: number;
  /** A rate far below the gateway's capacity, for the cost of one heartbeat without queueing. */
  heartbeatLowRate: number;
  heartbeatSeconds: number;
  /** Sent at each phase's rate before it and not counted (connections, JIT, the plans' caches). */
  warmupSeconds: number;
}

export interface TasksResult {
  tasks: number;
  users: number;
  stalled_seeded: number;
  quick: boolean;
  list: Array<{ query: string; rate: number; total_tasks: number } & LatencySummary & { meets_p99: boolean; server: ServerSide | null }>;
  heartbeat_low_rate: TasksResult['heartbeat'];
  heartbeat: { rate: number; achieved_rate: number } & LatencySummary & { meets_p99: boolean; server: ServerSide | null };
}

/**
 * The seed, one set-based statement: `n` open tasks of `users` users, created by the bench's service.
 * Kinds cycle through four, one in five is pending (no progress), the rest running with progress 0–89; one in ten
 * has had no heartbeat for longer than the stall window; the others heartbeat within the last minute. Plus ledger
 * entries of earlier tasks and of some open ones.
 */
export async function seed(url: string, n: number, users: number): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO chat.tasks (id, source, external_id, kind, user_id, client_id, total_items, processed_items, metadata, status, progress,
                               created_by, request_digest, created_at, started_at, last_update_at)
       SELECT gen_random_uuid(), 'bench', 'bench-' || g, ($4::text[])[1 + g % 4], 'bench-user-' || (g % $2), 'client-' || (g % 20),
              1000, CASE WHEN g % 5 = 0 THEN 0 ELSE (g * 7) % 90 * 10 END, jsonb_build_object('step', g),
              CASE WHEN g % 5 = 0 THEN 'pending' ELSE 'running' END, CASE WHEN g % 5 = 0 THEN 0 ELSE (g * 7) % 90 END,
              $3, 'bench', c.created_at, CASE WHEN g % 5 = 0 THEN NULL ELSE c.created_at + interval '1 second' END,
              CASE WHEN g % 10 = 3 THEN now() - interval '${STALL_MINUTES} minutes' - (g % 3600) * interval '1 second'
                   ELSE now() - (g % 60) * interval '1 second' END
         FROM generate_series(1, $1::int) g, LATERAL (SELECT now() - interval '2 hours' + (g % 7200) * interval '1 second' AS created_at) c`,
      [n, users, SERVICE, KINDS],
    );
    // The ledger's entries of tasks: three of each of 50,000 earlier (completed) tasks and of every tenth open one,
    // so the list's per-task counts read a ledger that has history (a join that aggregates it all shows here).
    await db.query(
      `INSERT INTO ledger.entries (event_id, event_type, event_version, source, user_id, reason, tokens_delta, cost_micros, occurred_at, effective_at,
                                   kafka_topic, kafka_partition, kafka_offset, task_id, task_kind)
       SELECT gen_random_uuid(), 'chat.message.recorded', 1, 'bench', 'bench-user-' || (g % $1), 'task', 100, 50, now(), now(), 'bench', 0, g * 3 + k,
              ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'agent_run'
         FROM generate_series(1, 50000) g, generate_series(0, 2) k`,
      [users],
    );
    await db.query(
      `INSERT INTO ledger.entries (event_id, event_type, event_version, source, user_id, reason, tokens_delta, cost_micros, occurred_at, effective_at,
                                   kafka_topic, kafka_partition, kafka_offset, task_id, task_kind)
       SELECT gen_random_uuid(), 'chat.message.recorded', 1, 'bench', t.user_id, 'task', 100, 50, now(), now(), 'bench', 1, k, t.id, t.kind
         FROM (SELECT id, user_id, kind FROM chat.tasks WHERE external_id LIKE '%0') t, generate_series(0, 2) k`,
    );
    // What autovacuum would have done to tables of this size by now.
    await db.query('ANALYZE chat.tasks');
    await db.query('ANALYZE ledger.entries');
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM chat.tasks WHERE last_update_at < now() - interval '${STALL_MINUTES} minutes'`,
    );
    return rows[0]!.n;
  } finally {
    await db.end();
  }
}

/** The open tasks a heartbeat phase drives: running, not stalled (a heartbeat would un-stall it), with their progress. */
async function heartbeatTargets(url: string, limit: number): Promise<Array<{ id: string; progress: number }>> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; progress: number }>(
      `SELECT id, progress FROM chat.tasks WHERE status = 'running' AND last_update_at >= now() - interval '${STALL_MINUTES} minutes' ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows;
  } finally {
    await db.end();
  }
}

/**
 * Scenario 7, tasks: `tasks` open tasks of `users` users seeded straight into chat.tasks, the gateway in its own
 * process (relay off), loaded over HTTP by the paced open-loop generator: (a) `GET /v1/tasks/running` with a
 * filter and a sort, each query on its own at `listRate`; (b) heartbeats, `PATCH /v1/tasks/:id {progress}` at
 * `heartbeatLowRate` and then `heartbeatRate`, each to the next task with a progress one higher than its last, so none is refused.
 * Round trips as the client sees them, plus the gateway's own share from its /metrics histogram.
 */
export async function tasksScenario(deps: BenchDeps, opts: TasksOptions & { quick: boolean }, log: (s: string) => void): Promise<TasksResult> {
  const url = await deps.freshDatabase('bench_tasks');
  try {
    const t0 = Date.now();
    const stalled = await seed(url, opts.tasks, opts.users);
    log(`tasks: seeded ${opts.tasks} open tasks of ${opts.users} users (${stalled} stalled) in ${Date.now() - t0} ms`);
    const gateway = await startGateway({ DATABASE_URL: url, RELAY_ENABLED: 'false' });
    try {
      const reader = await benchToken('bench-task-reader', ['tasks:read']);
      const writer = await benchToken(SERVICE, ['tasks:write']);
      const queries = ['?kind=agent_run&sort=-last_update_at&limit=50', '?user_id=bench-user-42&sort=progress', '?stalled=true&sort=started_at'];
      const list: TasksResult['list'] = [];
      for (const query of queries) {
        const path = `/v1/tasks/running${query}`;
        const first = await fetch(new URL(path, gateway.baseUrl), { headers: { authorization: `Bearer ${reader}` } });
        if (first.status !== 200) throw new Error(`GET ${path}: ${first.status} ${(await first.text()).slice(0, 300)}`);
        const totalTasks = ((await first.json()) as { total_tasks: number }).total_tasks;
        const r = await runLoadProcess<PacedHttpResult>('paced-http.js', {
          baseUrl: gateway.baseUrl,
          token: reader,
          rate: opts.listRate,
          seconds: opts.listSeconds,
          warmupSeconds: opts.warmupSeconds,
          requests: [{ method: 'GET', path }],
          expectStatus: 200,
          histogram: { method: 'GET', route: '/v1/tasks/running', status: '200' },
        } satisfies PacedHttpPlan);
        if (r.failed > 0) throw new Error(`tasks list bench ${query}: ${r.failed} requests failed, first: ${r.firstError}`);
        const server = r.server ?? null;
        const s = summarizeLatency(r.latencies_ms);
        list.push({ query, rate: opts.listRate, total_tasks: totalTasks, ...s, meets_p99: s.p99_ms <= TASKS_LIST_P99_MS, server });
        log(
          `tasks: GET running${query} (${totalTasks} match) at ${opts.listRate}/s: p50 ${s.p50_ms} / p99 ${s.p99_ms} ms; server p99 ≈ ${server?.p99_ms_est} ms`,
        );
      }

      // Heartbeats, first at a low rate (the cost of one on an idle gateway), then at the target's rate; each
      // phase drives tasks of its own, one heartbeat per task in turn, the k-th round over them setting progress + k.
      const rates = [opts.heartbeatLowRate, opts.heartbeatRate];
      const totals = rates.map((rate) => Math.ceil(rate * (opts.heartbeatSeconds + opts.warmupSeconds)));
      const targets = await heartbeatTargets(
        url,
        totals.reduce((a, n) => a + n, 0),
      );
      const heartbeats: TasksResult['heartbeat'][] = [];
      for (const [k, rate] of rates.entries()) {
        const mine = targets.slice(totals.slice(0, k).reduce((a, n) => a + n, 0)).slice(0, totals[k]);
        const requests: PacedHttpPlan['requests'] = [];
        for (let i = 0; i < totals[k]!; i++) {
          const t = mine[i % mine.length]!;
          requests.push({ method: 'PATCH', path: `/v1/tasks/${t.id}`, body: { progress: Math.min(100, t.progress + 1 + Math.floor(i / mine.length)) } });
        }
        const planFile = join(mkdtempSync(join(tmpdir(), 'bench-tasks-')), 'heartbeats.json');
        const plan: PacedHttpPlan = {
          baseUrl: gateway.baseUrl,
          token: writer,
          rate,
          seconds: opts.heartbeatSeconds,
          warmupSeconds: opts.warmupSeconds,
          requests,
          expectStatus: 200,
          histogram: { method: 'PATCH', route: '/v1/tasks/:task_id', status: '200' },
        };
        writeFileSync(planFile, JSON.stringify(plan));
        const r = await runLoadProcess<PacedHttpResult>('paced-http.js', { planFile }).finally(() =>
          rmSync(dirname(planFile), { recursive: true, force: true }),
        );
        if (r.failed > 0) throw new Error(`tasks heartbeat bench: ${r.failed} requests failed, first: ${r.firstError}`);
        const server = r.server ?? null;
        const s = summarizeLatency(r.latencies_ms);
        heartbeats.push({ rate, achieved_rate: Math.round(r.achieved_rate), ...s, meets_p99: s.p99_ms <= TASKS_HEARTBEAT_P99_MS, server });
        log(
          `tasks: heartbeats at ${rate}/s (achieved ${Math.round(r.achieved_rate)}/s): p50 ${s.p50_ms} / p99 ${s.p99_ms} ms; server p50 ≈ ${server?.p50_ms_est} / p99 ≈ ${server?.p99_ms_est} ms`,
        );
      }
      const [heartbeatLow, heartbeat] = heartbeats as [TasksResult['heartbeat'], TasksResult['heartbeat']];
      return { tasks: opts.tasks, users: opts.users, stalled_seeded: stalled, quick: opts.quick, list, heartbeat_low_rate: heartbeatLow, heartbeat };
    } finally {
      await gateway.app.stop();
    }
  } finally {
    await deps.dropDatabase(url);
  }
}
