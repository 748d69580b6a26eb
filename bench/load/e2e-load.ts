import { Agent } from 'node:http';
import { Client } from 'pg';
import { post } from './http-post';

/**
 * Open-loop load for the end-to-end scenario, in its own process: posts messages at a fixed rate
 * (whatever the answers' speed) and measures, for each acknowledged message, the time from the POST's
 * response until the ledger has applied its event (its row in ledger.message_totals is visible).
 * The ledger is observed by polling every `pollMs` over the primary key of the messages still
 * outstanding, so the resolution is about pollMs.
 *
 * Why not autocannon (which drives the write path): its `overallRate` / `connectionRate` are a per-second
 * budget per connection, not a schedule. Each connection sends its share back to back as soon as its second
 * begins and then waits for the next one, and all connections start together, so "100 msg/s" arrives as a
 * burst of 100 at the top of every second, which queues in the relay and the ledger and inflates the very
 * latency measured. And a connection sends only after its previous answer (closed loop), so a slow answer
 * delays the following sends instead of the schedule holding. This generator sends request i at
 * start + i / rate whatever the answers do, and takes each message's clock from its own response.
 */
export interface E2eLoadPlan {
  baseUrl: string;
  ledgerDatabaseUrl: string;
  rate: number;
  seconds: number;
  pollMs: number;
  workers: Array<{ token: string; conversationId: string }>;
  body: unknown;
}

export interface E2eLoadResult {
  sent: number;
  acknowledged: number;
  failed: number;
  latencies_ms: number[];
  missing: number;
  achieved_rate: number;
  firstError?: string;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as E2eLoadPlan;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify(plan.body);
  const db = new Client({ connectionString: plan.ledgerDatabaseUrl });
  await db.connect();
  const outstanding = new Map<string, number>();
  const latencies: number[] = [];
  let sent = 0;
  let acknowledged = 0;
  let failed = 0;
  let firstError: string | undefined;
  let polling = true;

  const poller = (async () => {
    while (polling || outstanding.size > 0) {
      const ids = [...outstanding.keys()];
      if (ids.length > 0) {
        const { rows } = await db.query<{ message_id: string }>('SELECT message_id FROM ledger.message_totals WHERE message_id = ANY($1::uuid[])', [ids]);
        const now = performance.now();
        for (const r of rows) {
          latencies.push(now - outstanding.get(r.message_id)!);
          outstanding.delete(r.message_id);
        }
      }
      await new Promise((r) => setTimeout(r, plan.pollMs));
    }
  })();

  const intervalMs = 1000 / plan.rate;
  const total = Math.round(plan.rate * plan.seconds);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Fixed schedule: request i leaves at started + i × interval, late answers do not slow the sender.
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const w = plan.workers[i % plan.workers.length]!;
    sent++;
    inflight.push(
      post(agent, new URL(`/v1/conversations/${w.conversationId}/messages`, plan.baseUrl), w.token, body)
        .then((res) => {
          if (res.status !== 201) {
            failed++;
            firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
            return;
          }
          acknowledged++;
          outstanding.set((JSON.parse(res.text) as { message_id: string }).message_id, performance.now());
        })
        .catch((error: Error) => {
          failed++;
          firstError ??= error.message;
        }),
    );
  }
  const achievedRate = sent / ((performance.now() - started) / 1000);
  await Promise.all(inflight);
  // Let the pipeline finish, bounded: what is still missing after 30 s is reported, not waited for.
  const drainUntil = performance.now() + 30_000;
  while (outstanding.size > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  const missing = outstanding.size;
  outstanding.clear();
  polling = false;
  await poller;
  await db.end();
  agent.destroy();
  const result: E2eLoadResult = {
    sent,
    acknowledged,
    failed,
    latencies_ms: latencies,
    missing,
    achieved_rate: achievedRate,
    ...(firstError ? { firstError } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
