import { Agent } from 'node:http';
import { Client } from 'pg';
import { coresUsed, CpuGroup, cpuSnapshot } from '../harness/cpu-usage';
import { post } from './http-post';

/**
 * Open-loop load for the end-to-end scenario, in its own process: posts messages at a fixed rate
 * (whatever the answers' speed) and measures, for each acknowledged message, the time from the POST's
 * response, and from its sending, until the ledger has applied its event (its row in ledger.message_totals
 * is visible). Both clocks: a gateway that answers sooner moves waiting from before the answer to after it,
 * which the first clock alone would count against it. A warm-up at the same rate runs first, unmeasured.
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
  /** The measured window. */
  seconds: number;
  /**
   * Sent at the same rate before the measured window and waited for (all applied), not measured: the JIT, the
   * connection pools and the consumer's first fetches warm up here instead of inside the figures.
   */
  warmupSeconds: number;
  pollMs: number;
  workers: Array<{ token: string; conversationId: string }>;
  body: unknown;
}

export interface E2eLoadResult {
  sent: number;
  acknowledged: number;
  failed: number;
  /** POST answered → applied in the ledger, per measured message. */
  latencies_ms: number[];
  /** POST sent → applied in the ledger (the answer's own time included), per measured message. */
  latencies_from_send_ms: number[];
  missing: number;
  /** The sending schedule's rate over the measured window (the plan's rate unless the sender itself fell behind). */
  achieved_rate: number;
  /**
   * Answers per second over the measured window (from its first send to its last answer): below the sending rate,
   * the gateway is not keeping up and requests queue in front of it for as long as the window lasts.
   */
  answered_rate: number;
  /** When the measured window began (this machine's clock, which PostgreSQL shares here), ISO 8601. */
  measured_from: string;
  /** Cores each process group used during the measured window's sending. */
  cpu_cores: Partial<Record<CpuGroup, number>>;
  firstError?: string;
}

interface Outstanding {
  sentAt: number;
  answeredAt: number;
  measured: boolean;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as E2eLoadPlan;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify(plan.body);
  const db = new Client({ connectionString: plan.ledgerDatabaseUrl });
  await db.connect();
  const outstanding = new Map<string, Outstanding>();
  const fromAnswer: number[] = [];
  const fromSend: number[] = [];
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
          const o = outstanding.get(r.message_id)!;
          if (o.measured) {
            fromAnswer.push(now - o.answeredAt);
            fromSend.push(now - o.sentAt);
          }
          outstanding.delete(r.message_id);
        }
      }
      await new Promise((r) => setTimeout(r, plan.pollMs));
    }
  })();

  /** Sends `rate` × `seconds` messages on a fixed schedule and waits for their answers; returns the sending and answer rates. */
  async function sendPhase(seconds: number, measured: boolean): Promise<{ sending: number; answered: number }> {
    const intervalMs = 1000 / plan.rate;
    const total = Math.round(plan.rate * seconds);
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      // Fixed schedule: request i leaves at started + i × interval, late answers do not slow the sender.
      const due = started + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const w = plan.workers[i % plan.workers.length]!;
      if (measured) sent++;
      const sentAt = performance.now();
      inflight.push(
        post(agent, new URL(`/v1/conversations/${w.conversationId}/messages`, plan.baseUrl), w.token, body)
          .then((res) => {
            if (res.status !== 201) {
              failed++;
              firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
              return;
            }
            if (measured) acknowledged++;
            outstanding.set((JSON.parse(res.text) as { message_id: string }).message_id, { sentAt, answeredAt: performance.now(), measured });
          })
          .catch((error: Error) => {
            failed++;
            firstError ??= error.message;
          }),
      );
    }
    const sending = total / ((performance.now() - started) / 1000);
    await Promise.all(inflight);
    return { sending, answered: total / ((performance.now() - started) / 1000) };
  }

  /** Waits, bounded, until every message sent so far is applied; what is still missing after 30 s is reported. */
  async function drain(): Promise<void> {
    const until = performance.now() + 30_000;
    while (outstanding.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  if (plan.warmupSeconds > 0) {
    await sendPhase(plan.warmupSeconds, false);
    await drain();
  }
  const warmupMissing = outstanding.size;
  outstanding.clear();
  const measuredFrom = new Date().toISOString();
  const cpuBefore = cpuSnapshot();
  const cpuFrom = performance.now();
  const rates = await sendPhase(plan.seconds, true);
  const cpu = coresUsed(cpuBefore, cpuSnapshot(), (performance.now() - cpuFrom) / 1000);
  await drain();
  const missing = warmupMissing + outstanding.size;
  outstanding.clear();
  polling = false;
  await poller;
  await db.end();
  agent.destroy();
  const result: E2eLoadResult = {
    sent,
    acknowledged,
    failed,
    latencies_ms: fromAnswer,
    latencies_from_send_ms: fromSend,
    missing,
    achieved_rate: rates.sending,
    answered_rate: rates.answered,
    measured_from: measuredFrom,
    cpu_cores: cpu,
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
