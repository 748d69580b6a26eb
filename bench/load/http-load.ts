import autocannon from 'autocannon';

/**
 * Closed-loop HTTP load for the write path, driven by autocannon and run as its own process so the
 * generator's event loop is not the bench's: `workers.length` keep-alive connections, each posting one
 * message after another (pipelining 1) to its own conversation as its own user (token) for `seconds`,
 * after a 1 s warm-up (JIT, pools, first connections) that does not count. Reads its plan as JSON from
 * argv[2], prints its result as JSON.
 */
export interface HttpLoadPlan {
  baseUrl: string;
  seconds: number;
  /** One entry per concurrent connection: its own user (token) and conversation. */
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

/** autocannon runs `warmup` first with the same options, on connections of its own; @types/autocannon lacks it. */
type Options = autocannon.Options & { warmup?: { connections: number; duration: number } };
/** Without a callback autocannon returns its event emitter, which is also a thenable; the types say Promise only. */
type RunningInstance = autocannon.Instance & PromiseLike<autocannon.Result>;

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as HttpLoadPlan;
  const body = JSON.stringify(plan.body);
  let firstError: string | undefined;
  // What the warm-up answered is not counted, so it must not be the error reported either.
  let counting = false;
  // autocannon calls setupClient once per connection it opens, warm-up's included: connection k gets worker
  // k mod N, so every connection of a run is a different user and no two connections share a conversation.
  let opened = 0;
  const options: Options = {
    url: plan.baseUrl,
    connections: plan.workers.length,
    pipelining: 1,
    duration: plan.seconds,
    warmup: { connections: plan.workers.length, duration: 1 },
    setupClient: (client) => {
      const w = plan.workers[opened++ % plan.workers.length]!;
      client.setRequests([
        {
          method: 'POST',
          path: `/v1/conversations/${w.conversationId}/messages`,
          headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/json' },
          body,
          onResponse: (status, text) => {
            if (counting && status !== 201) firstError ??= `${status} ${text.slice(0, 300)}`;
          },
        },
      ]);
    },
  };
  // The callback form would skip the warm-up: only the promise form runs it.
  const instance = autocannon(options) as unknown as RunningInstance;
  instance.on('start', () => (counting = true));
  instance.on('reqError', (error: Error) => (firstError ??= error.message));
  const r = await instance;
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = s.count ?? 0;
  const ok = statuses['201'] ?? 0;
  // Anything but a 201 is a failure, and so is a connection error or a timeout (no status at all).
  const failed = Object.values(statuses).reduce((a, n) => a + n, 0) - ok + r.errors;
  const result: HttpLoadResult = { ok, failed, seconds: r.duration, rps: ok / r.duration, statuses, ...(firstError ? { firstError } : {}) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
