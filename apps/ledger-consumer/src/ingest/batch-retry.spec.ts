import { ABANDONED, BatchControl, retryWithBackoff } from './batch-retry';

function control(overrides: Partial<BatchControl> = {}): BatchControl & { heartbeats: number } {
  const c = { heartbeats: 0, isRunning: () => true, isStale: () => false, heartbeat: async () => void (c.heartbeats += 1), ...overrides };
  return c;
}

describe('retryWithBackoff', () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  beforeEach(() => (sleeps.length = 0));

  it('retries until success, heartbeating while it waits', async () => {
    let calls = 0;
    const c = control();
    const retried: number[] = [];
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error('database down');
        return 'ok';
      },
      c,
      { initialMs: 400, maxMs: 1000, sleep, random: () => 1, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(retried).toEqual([1, 2, 3]);
    // 400, 800, 1000 ms waits in slices of at most 500 ms, one heartbeat per slice.
    expect(sleeps).toEqual([400, 500, 300, 500, 500]);
    expect(c.heartbeats).toBe(5);
  });

  it('abandons when the consumer stops or the batch goes stale, without another attempt', async () => {
    let running = true;
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        running = false;
        throw new Error('database down');
      },
      control({ isRunning: () => running }),
      { initialMs: 10, maxMs: 10, sleep },
    );
    expect(result).toBe(ABANDONED);
    expect(calls).toBe(1);

    let stale = false;
    const staleResult = await retryWithBackoff(
      async () => {
        stale = true;
        throw new Error('x');
      },
      control({ isStale: () => stale }),
      { initialMs: 10, maxMs: 10, sleep },
    );
    expect(staleResult).toBe(ABANDONED);
  });

  it('lets a rebalance (heartbeat error) propagate', async () => {
    const rebalance = new Error('The group is rebalancing');
    await expect(
      retryWithBackoff(
        async () => {
          throw new Error('database down');
        },
        control({ heartbeat: async () => Promise.reject(rebalance) }),
        { initialMs: 10, maxMs: 10, sleep },
      ),
    ).rejects.toBe(rebalance);
  });
});
