import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { BenchStack } from './harness/bench-stack';
import { stopEverything } from './harness/interrupt';
import { fillOutbox, readOutboxMessages } from './harness/outbox-fill';
import { appNodeArgs } from './harness/bench-apps';
import { printTable } from './harness/report';
import { e2eScenario } from './scenarios/e2e.bench';
import { ledgerScenario } from './scenarios/ledger.bench';
import { growthScenario } from './scenarios/growth.bench';
import { debeziumScenario } from './scenarios/debezium.bench';
import { runPeerBench } from './scenarios/peer.bench';
import { relayScenario } from './scenarios/relay.bench';
import { tasksScenario } from './scenarios/tasks.bench';
import { writeScenario } from './scenarios/write-path.bench';

const SCENARIOS = ['write', 'relay', 'ledger', 'e2e', 'peer', 'growth', 'debezium', 'tasks'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Flags {
  quick: boolean;
  only: Set<Scenario>;
  runs: number;
  profileDir?: string;
  /** --e2e-relay=standalone: end to end with the relay as its own process (docker-compose's layout) instead of in the gateway. */
  standaloneRelay: boolean;
}

function parseFlags(argv: string[]): Flags {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = new Set<Scenario>();
  for (const name of onlyArg ? onlyArg.split(',') : SCENARIOS) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    only.add(name as Scenario);
  }
  const runsArg = argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length);
  // --quick is a smoke run under two minutes (one run per figure, small sizes, 1–2 s phases); the full run takes
  // the median of 3.
  const runs = runsArg ? Number(runsArg) : quick ? 1 : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const profileDir = argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const e2eRelay = argv.find((a) => a.startsWith('--e2e-relay='))?.slice('--e2e-relay='.length) ?? 'gateway';
  if (e2eRelay !== 'gateway' && e2eRelay !== 'standalone') throw new Error('--e2e-relay must be gateway (default) or standalone');
  return { quick, only, runs, standaloneRelay: e2eRelay === 'standalone', ...(profileDir ? { profileDir } : {}) };
}

/**
 * Partitions of the throughput scenarios' topics: production-sized (more than the ledger's concurrent
 * partitions and fewer than the relay's 64 shards, so every shard and consumer slot has work), and what
 * earlier runs used, so their figures stay comparable.
 */
const PARTITIONS = 32;

const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** Set by Ctrl-C / SIGTERM: the scenario in progress then fails as its processes go, which is no error to report. */
let interrupted = false;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  // Ctrl-C or SIGTERM mid-run: the load processes, the apps, the Debezium JVM and the servers this run started stop
  // before it exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping the processes and servers this run started`);
      void stopEverything().finally(() => process.exit(130));
    });
  }
  const startedAt = Date.now();
  // CPU profiles of every app process the bench starts (open them in Chrome DevTools or speedscope).
  if (flags.profileDir) appNodeArgs.push('--cpu-prof', `--cpu-prof-dir=${flags.profileDir}`);
  const stack = await BenchStack.start();
  const result: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      mem_gib: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      quick: flags.quick,
      runs: flags.runs,
    },
  };
  // Seconds each scenario took (set-up included), so the run's length can be read scenario by scenario.
  const scenarioSeconds: Record<string, number> = {};
  result.scenario_seconds = scenarioSeconds;
  const timed = async (name: Scenario, run: () => Promise<void>) => {
    if (!flags.only.has(name)) return;
    const from = Date.now();
    await run();
    scenarioSeconds[name] = Math.round((Date.now() - from) / 1000);
    log(`${name} took ${scenarioSeconds[name]} s`);
  };
  scenarioSeconds.start = Math.round((Date.now() - startedAt) / 1000);
  try {
    await timed('write', async () => {
      const url = await stack.freshDatabase('bench_write');
      result.write = await writeScenario(url, { runs: flags.runs, seconds: flags.quick ? 2 : 5, clients: 8 }, log);
      await stack.dropDatabase(url);
    });
    const deps = {
      brokers: stack.brokers,
      freshDatabase: (prefix: string) => stack.freshDatabase(prefix),
      dropDatabase: (url: string) => stack.dropDatabase(url),
      newTopic: (prefix: string, partitions: number) => stack.newTopic(prefix, partitions),
    };
    const rows = flags.quick ? 10_000 : 100_000;
    await timed('relay', async () => {
      result.relay = await relayScenario(deps, { runs: flags.runs, rows, partitions: PARTITIONS, latencyRate: 200, latencySeconds: flags.quick ? 1 : 5 }, log);
    });
    // The events the relay would publish: generated once, in a scratch outbox.
    const events = async (n: number) => {
      const scratch = await stack.freshDatabase('bench_events');
      await fillOutbox(scratch, n);
      const messages = await readOutboxMessages(scratch);
      await stack.dropDatabase(scratch);
      return messages;
    };
    await timed('ledger', async () => {
      const messages = await events(rows);
      result.ledger = await ledgerScenario(deps, messages, { runs: flags.runs, partitions: PARTITIONS, naiveEvents: flags.quick ? 500 : 1_000 }, log);
    });
    await timed('e2e', async () => {
      result.e2e = await e2eScenario(
        deps,
        {
          rates: [100, 500],
          seconds: flags.quick ? 2 : 4,
          warmupSeconds: flags.quick ? 1 : 2,
          runs: flags.runs,
          partitions: 16,
          users: 50,
          standaloneRelay: flags.standaloneRelay,
        },
        log,
      );
    });
    await timed('peer', async () => {
      result.peer = await runPeerBench({
        serverUrl: stack.serverUrl,
        brokers: stack.brokers,
        newTopic: deps.newTopic,
        freshDatabase: (prefix, migrate) => stack.freshDatabase(prefix, migrate),
        rows: flags.quick ? 1_000 : 5_000,
        latencySeconds: flags.quick ? 1 : 5,
        latencyRate: 200,
        drainTimeoutMs: flags.quick ? 4_000 : 15_000,
      });
      log(`peer done: ${JSON.stringify(result.peer).slice(0, 300)}`);
    });
    await timed('growth', async () => {
      const messages = await events(flags.quick ? 5_000 : 10_000);
      const sizes = flags.quick ? [10_000, 50_000] : [10_000, 100_000, 1_000_000];
      result.growth = await growthScenario(deps, messages, { sizes, partitions: PARTITIONS, secondCycleUpTo: 10_000, smallestRuns: flags.runs }, log);
    });
    await timed('debezium', async () => {
      result.debezium = await debeziumScenario(
        deps,
        {
          runs: flags.runs,
          rows,
          warmupDrainRows: flags.quick ? 2_000 : 50_000,
          partitions: PARTITIONS,
          rates: [200, 1_000],
          latencySeconds: flags.quick ? 1 : 5,
          serverUrl: stack.serverUrl,
        },
        log,
      );
    });
    await timed('tasks', async () => {
      result.tasks = await tasksScenario(
        deps,
        {
          tasks: 10_000,
          users: 1_000,
          listRate: 50,
          listSeconds: flags.quick ? 1 : 5,
          heartbeatRate: 500,
          heartbeatLowRate: 50,
          heartbeatSeconds: flags.quick ? 1 : 5,
          warmupSeconds: flags.quick ? 0.5 : 1,
          quick: flags.quick,
        },
        log,
      );
    });
  } finally {
    await stack.stop();
  }
  result.duration_seconds = Math.round((Date.now() - startedAt) / 1000);
  printTable(result);
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // latest.json is the whole suite (what the README's table is read from); a run of some scenarios (--only) goes
  // beside it, so trying one scenario never replaces the last full figures with a partial set.
  const all = SCENARIOS.every((name) => flags.only.has(name));
  const file = all ? 'latest.json' : `only-${[...flags.only].sort().join('-')}.json`;
  writeFileSync(join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to bench/results/${file}`);
}

main().catch((e) => {
  if (!interrupted) console.error(e);
  process.exitCode = 1;
});
