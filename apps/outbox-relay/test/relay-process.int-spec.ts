import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { eventually, OwnKafka, startOwnKafka } from '@chat-ledger/testing';
import { kafkaOrderByKey, migratedDatabase, outboxOrderByKey, statusCounts, TopicReader, writeEvents } from '@chat-ledger/outbox/testing';
import { readRelayLeases } from '@chat-ledger/outbox';

// The standalone relay (apps/outbox-relay) as a real OS process, run from the TypeScript sources
// (libs/testing/src/register-ts.js: transpile only, no build and no shared dist/ needed).

const ROOT = resolve(__dirname, '..', '..', '..');
const TOPIC = 'token-events';

class RelayProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.lines.push(`[stderr] ${line}`));
  }

  static async start(env: Record<string, string>): Promise<RelayProcess> {
    const child = spawn(process.execPath, ['-r', join(ROOT, 'libs/testing/src/register-ts.js'), join(ROOT, 'apps/outbox-relay/src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const relay = new RelayProcess(child);
    await Promise.race([
      eventually(() => expect(relay.lines.some((l) => l.includes('"outbox relay running"'))).toBe(true), { timeoutMs: 20_000 }),
      relay.exited.then(({ code }) => {
        throw new Error(`relay exited during start (code ${code}):\n${relay.lines.join('\n')}`);
      }),
    ]);
    return relay;
  }

  kill(signal: NodeJS.Signals) {
    this.child.kill(signal);
    return this.exited;
  }
}

describe('standalone relay process', () => {
  // A broker of its own: the test slows its network down.
  let kafka: OwnKafka;
  let reader: TopicReader;
  let dataSource: DataSource;
  let url: string;
  const processes: RelayProcess[] = [];

  beforeAll(async () => {
    kafka = await startOwnKafka([{ name: TOPIC, partitions: 16 }]);
    ({ url, dataSource } = await migratedDatabase('relay_process'));
    reader = await TopicReader.start(kafka.brokers, TOPIC);
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.kill('SIGKILL');
    await reader?.stop();
    await dataSource?.destroy();
    await kafka?.stop();
  });

  const env = () => ({
    DATABASE_URL: url,
    KAFKA_BROKERS: kafka.faultyBrokers,
    LOG_LEVEL: 'debug',
    OUTBOX_BATCH_SIZE: '100',
    OUTBOX_REBALANCE_INTERVAL: '200ms',
  });

  it('SIGKILL in the middle of a batch, then a restart: nothing is lost, per-user order holds (duplicates allowed)', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `killed-${i}`);
    const events = await writeEvents(dataSource, users, 60, { perTx: 50, concurrency: 4 });
    expect(events).toHaveLength(3_000);

    kafka.proxy.setLatency(60); // slow enough to catch the relay half way
    const first = await RelayProcess.start(env());
    processes.push(first);
    await eventually(async () => expect((await statusCounts(dataSource)).published ?? 0).toBeGreaterThanOrEqual(500), { timeoutMs: 20_000 });

    // Make the next send hang on the broker, wait until the relay has claimed a batch and sent it, then kill.
    kafka.proxy.setLatency(3_000);
    const seen = first.lines.length;
    await eventually(() => expect(first.lines.slice(seen).some((l) => l.includes('"sending batch"'))).toBe(true), { timeoutMs: 10_000 });
    const { signal } = await first.kill('SIGKILL');
    expect(signal).toBe('SIGKILL');
    kafka.proxy.setLatency(0);

    const atKill = await statusCounts(dataSource);
    expect(atKill.published).toBeLessThan(3_000);
    // The killed session's leases are gone with it.
    await eventually(async () => expect(await readRelayLeases(dataSource)).toEqual([]));

    const second = await RelayProcess.start({ ...env(), METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
    processes.push(second);
    await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 3_000 }), { timeoutMs: 30_000 });
    await reader.waitFor(events.map((e) => e.eventId));

    const { order, duplicates } = kafkaOrderByKey(reader.forEvents(events.map((e) => e.eventId)));
    const expected = await outboxOrderByKey(dataSource);
    for (const user of users) expect({ user, order: order.get(user) }).toEqual({ user, order: expected.get(user) });
    process.stdout.write(
      `[relay-process] killed with ${atKill.published} of 3000 rows marked published; after restart all 3000 arrived, ` +
        `${duplicates} duplicate deliveries (0, or the batch that was in flight at the kill)\n`,
    );

    // With METRICS_PORT the standalone relay serves /metrics and /health.
    const port = JSON.parse(second.lines.find((l) => l.includes('"outbox relay running"'))!).metrics_port;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^outbox_published_total \d+$/m);
    expect(metrics).toMatch(/^outbox_pending_rows 0$/m);
    expect(metrics).toMatch(/^outbox_relay_shards_held 64$/m);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    await expect(ready.json()).resolves.toMatchObject({ status: 'ok', checks: { kafka: { status: 'up' } }, relay: { shards: 64, relays: 1 } });

    // SIGTERM: graceful stop (Nest runs the shutdown hooks, then the process exits 0, so the logger's exit flush writes
    // the stop's own lines, which go out asynchronously), leases released.
    await expect(second.kill('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
    expect(second.lines.filter((l) => /"(shard leases released|outbox relay stopped)"/.test(l))).toHaveLength(2);
    await expect(readRelayLeases(dataSource)).resolves.toEqual([]);
  }, 60_000);
});
