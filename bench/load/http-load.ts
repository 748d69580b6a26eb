import { Agent, request } from 'node:http';

/**
 * A closed-loop HTTP load generator, run as its own process so its CPU is not the server's:
 * `workers` connections (keep-alive), each posting one message after another to its own
 * conversation for `seconds`. Reads its plan as JSON from argv[2], prints its result as JSON.
 */
export interface HttpLoadPlan {
  baseUrl: string;
  seconds: number;
  /** One entry per concurrent worker: its own user (token) and conversation. */
  workers: Array<{ token: string; conversationId: string }>;
  body: unknown;
}

export interface HttpLoadResult {
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  statuses: Record<string, number>;
  firstError?: string;
}

export function post(agent: Agent, url: URL, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as HttpLoadPlan;
  const agent = new Agent({ keepAlive: true, maxSockets: plan.workers.length });
  const body = JSON.stringify(plan.body);
  const statuses: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  // A short warm-up (JIT, pools, first connections) that does not count.
  const warmupUntil = Date.now() + 1_000;
  let started = 0;
  const deadline = warmupUntil + plan.seconds * 1_000;
  await Promise.all(
    plan.workers.map(async (w) => {
      const url = new URL(`/v1/conversations/${w.conversationId}/messages`, plan.baseUrl);
      while (Date.now() < deadline) {
        const counting = Date.now() >= warmupUntil;
        if (counting && !started) started = Date.now();
        try {
          const res = await post(agent, url, w.token, body);
          if (!counting) continue;
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 201) ok++;
          else {
            failed++;
            firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
          }
        } catch (error) {
          if (!counting) continue;
          failed++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1_000;
  agent.destroy();
  const result: HttpLoadResult = { ok, failed, seconds, rps: ok / seconds, statuses, ...(firstError ? { firstError } : {}) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
