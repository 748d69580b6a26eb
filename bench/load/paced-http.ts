import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { scrapeHistogram, serverSide, type ServerSide } from './http-histogram';

/**
 * Paced open-loop HTTP load, in its own process: request i leaves at start + i / rate whatever the answers
 * do (autocannon's rate option sends each second's share in a burst, see e2e-load.ts), cycling through
 * `requests`, and each request's latency is its own round trip (first byte sent → last byte of the answer).
 * A warm-up of `warmupSeconds` at the same rate is sent first and not counted. For the tasks scenario:
 * list queries and heartbeats. Reads its plan as JSON from argv[2] (or from the file `{planFile}` there names),
 * prints its result as JSON.
 */
export interface PacedHttpPlan {
  baseUrl: string;
  token: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** Cycled through in order; with `body`, the request sends it as JSON. */
  requests: Array<{ method: 'GET' | 'PATCH' | 'POST'; path: string; body?: unknown }>;
  /** The status every answer must have. */
  expectStatus: number;
  /** The route whose server-side histogram is read at the end of the warm-up and of the run. */
  histogram?: { method: string; route: string; status: string };
}

export interface PacedHttpResult {
  sent: number;
  ok: number;
  failed: number;
  latencies_ms: number[];
  achieved_rate: number;
  server?: ServerSide | null;
  firstError?: string;
}

function send(agent: Agent, url: URL, method: string, token: string, body: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const arg = JSON.parse(process.argv[2]!) as PacedHttpPlan | { planFile: string };
  // A plan of thousands of distinct requests is over the OS's limit for one argument: it comes as a file then.
  const plan = 'planFile' in arg ? (JSON.parse(readFileSync(arg.planFile, 'utf8')) as PacedHttpPlan) : arg;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const bodies = plan.requests.map((r) => (r.body === undefined ? undefined : JSON.stringify(r.body)));
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const intervalMs = 1000 / plan.rate;
  const warmup = Math.round(plan.rate * plan.warmupSeconds);
  const total = warmup + Math.round(plan.rate * plan.seconds);
  const h = plan.histogram;
  let started = performance.now();
  let measuredFrom = started;
  let before: Awaited<ReturnType<typeof scrapeHistogram>> | undefined;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    if (i === warmup) {
      // The warm-up's answers are in before the histogram is read; the schedule starts again from here.
      await Promise.all(inflight);
      if (h) before = await scrapeHistogram(plan.baseUrl, h.method, h.route, h.status);
      started = performance.now() - i * intervalMs;
      measuredFrom = performance.now();
    }
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const counted = i >= warmup;
    const r = plan.requests[i % plan.requests.length]!;
    if (counted) sent++;
    const t0 = performance.now();
    inflight.push(
      send(agent, new URL(r.path, plan.baseUrl), r.method, plan.token, bodies[i % plan.requests.length])
        .then((res) => {
          if (!counted) return;
          if (res.status !== plan.expectStatus) {
            failed++;
            firstError ??= `${r.method} ${r.path}: ${res.status} ${res.text.slice(0, 300)}`;
            return;
          }
          ok++;
          latencies.push(performance.now() - t0);
        })
        .catch((error: Error) => {
          if (!counted) return;
          failed++;
          firstError ??= error.message;
        }),
    );
  }
  const achievedRate = sent / ((performance.now() - measuredFrom) / 1000);
  await Promise.all(inflight);
  agent.destroy();
  const server = h && before ? serverSide(before, await scrapeHistogram(plan.baseUrl, h.method, h.route, h.status)) : undefined;
  const result: PacedHttpResult = {
    sent,
    ok,
    failed,
    latencies_ms: latencies,
    achieved_rate: achievedRate,
    ...(server !== undefined ? { server } : {}),
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
