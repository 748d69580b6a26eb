import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, WriteStream, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTopicsAndWait } from './create-topics';
import { findFreePort, portIsFree } from './free-port';
import { KAFKA_VERSION, KafkaRuntime, KafkaRuntimeOptions, resolveKafkaRuntime } from './kafka-runtime';
import { ExtraListener, serverProperties } from './server-properties';

export interface KafkaBrokerTopic {
  name: string;
  partitions: number;
  /** Topic-level settings, e.g. `{ 'max.message.bytes': '10000' }`. */
  config?: Record<string, string>;
}

export interface KafkaBrokerOptions extends KafkaRuntimeOptions {
  /** Holds the log segments, meta.properties, server.properties, broker.pid and broker.log. */
  dataDir: string;
  /** PLAINTEXT port on 127.0.0.1 (the bootstrap address). Default 9092; 0 picks a free port. */
  port?: number;
  /** KRaft controller port. Default `port + 1` for a fixed port, a free port otherwise. */
  controllerPort?: number;
  /** JVM heap in MiB (-Xms = -Xmx). Default 512. */
  heapMb?: number;
  /** Keep dataDir on stop (default true). false deletes it, for tests. */
  persistent?: boolean;
  /** Topics created (or checked) once the broker answers. */
  topics?: readonly KafkaBrokerTopic[];
  /** More listeners, e.g. one advertised at a fault proxy's port. */
  extraListeners?: readonly ExtraListener[];
  /** Broker settings added to or overriding the generated server.properties. */
  brokerConfig?: Readonly<Record<string, string>>;
  /** How long start waits for the broker to answer (default 90 s: the first start may include JIT warm-up on a busy machine). */
  startTimeoutMs?: number;
  /** How long stop waits for a controlled shutdown before SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
  /** Our messages, plus the broker's own ERROR and FATAL lines (everything is in <dataDir>/broker.log). */
  log?: (line: string) => void;
}

const HOST = '127.0.0.1';
const READY_LINE = /Kafka Server started|Transitioning from RECOVERY to RUNNING/;
const KEEP_LINES = 60;

/** Whether a process with this pid exists (signal 0 checks without touching it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // a leading dash reads as an option on Kafka's command lines
  }
}

/**
 * One Apache Kafka node in KRaft mode (broker and controller in one JVM) on 127.0.0.1, for development,
 * tests, the chaos run and the benchmarks. A real broker: the same wire protocol, storage on disk, group
 * coordinator and limits as production, only with replication factor 1.
 *
 * The JVM runs in its own process group, so a Ctrl-C in the terminal reaches only the host process, which
 * stops the apps first and the broker last. If the host dies with SIGKILL the broker lives on; the next
 * start finds it through broker.pid and stops it before starting again.
 */
export class KafkaBroker {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private logFile?: WriteStream;
  private readonly recent: string[] = [];
  private stopping?: Promise<void>;

  private constructor(
    private readonly options: KafkaBrokerOptions & { dataDir: string; heapMb: number },
    private readonly runtime: KafkaRuntime,
    readonly port: number,
    readonly controllerPort: number,
    readonly clusterId: string,
  ) {}

  /** `127.0.0.1:<port>`: what clients put in their broker list. */
  get bootstrapServers(): string {
    return `${HOST}:${this.port}`;
  }

  /** The JVM's pid while it runs. */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get version(): string {
    return KAFKA_VERSION;
  }

  static async start(options: KafkaBrokerOptions): Promise<KafkaBroker> {
    const log = options.log ?? (() => undefined);
    const dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true });
    await stopStaleBroker(dataDir, log);

    const runtime = await resolveKafkaRuntime({ ...options, log });
    const requested = options.port ?? 9092;
    if (!Number.isInteger(requested) || requested < 0 || requested > 65535) throw new Error(`kafka-broker: invalid port ${requested}`);
    const logDir = join(dataDir, 'logs');
    const formatted = existsSync(join(logDir, 'meta.properties'));
    const clusterId = formatted ? readClusterId(join(logDir, 'meta.properties')) : newClusterId();

    // Ports we pick ourselves can still be taken between the check and the JVM's bind (another process
    // starting a server): then we pick again. A port the caller named is the caller's to fix.
    for (let attempt = 1; ; attempt++) {
      const port = requested === 0 ? await findFreePort() : requested;
      const controllerPort = options.controllerPort ?? (requested === 0 ? await findFreePort() : requested + 1);
      for (const p of [port, controllerPort]) {
        if (!(await portIsFree(p))) {
          throw new Error(`kafka-broker: port ${HOST}:${p} is already in use (another Kafka running? set EMBEDDED_KAFKA_PORT or KAFKA_BROKERS)`);
        }
      }
      const broker = new KafkaBroker({ heapMb: 512, ...options, dataDir }, runtime, port, controllerPort, clusterId);
      broker.writeProperties();
      if (!existsSync(join(logDir, 'meta.properties'))) await broker.format();
      try {
        await broker.launch();
        if (options.topics?.length) await broker.createTopics(options.topics);
        await broker.waitForGroupCoordinator();
      } catch (error) {
        await broker.shutdown(false).catch(() => undefined);
        const bindRace = requested === 0 && options.controllerPort === undefined && /Address already in use/.test(String(error));
        if (bindRace && attempt < 3) {
          log(`kafka-broker: port ${port} or ${controllerPort} was taken while the broker started; trying other ports`);
          continue;
        }
        if (options.persistent === false) rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
      return broker;
    }
  }

  /**
   * Waits until the broker can coordinate consumer groups. On a new broker the first group makes it create
   * __consumer_offsets and load its partitions (after a restart: load them again); until then a joining
   * consumer waits seconds and kafkajs reports "the coordinator is loading" as a crash and restarts it. Asking
   * about a group here pays that wait before any app starts, so apps join at once and log no crash.
   */
  async waitForGroupCoordinator(timeoutMs = 60_000): Promise<void> {
    const admin = this.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          // kafkajs throws on a group's error code (coordinator not available, loading), so an answer means loaded.
          await admin.describeGroups(['kafka-broker-coordinator-warm-up']);
          return;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new Error(`kafka-broker: group coordinator not ready ${timeoutMs / 1000} s after the broker started: ${(error as Error).message}`, {
              cause: error,
            });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates the topics that do not exist yet; a topic that exists with another partition count is an error. */
  async createTopics(topics: readonly KafkaBrokerTopic[]): Promise<void> {
    const admin = this.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      await createTopicsAndWait(admin, missing);
      const present = topics.filter((t) => existing.has(t.name));
      if (present.length > 0) {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
        for (const t of present) {
          const partitions = metadata.find((m) => m.name === t.name)?.partitions.length ?? 0;
          if (partitions !== t.partitions) {
            throw new Error(
              `kafka-broker: topic ${t.name} exists with ${partitions} partitions, expected ${t.partitions} (delete ${this.dataDir} to start over)`,
            );
          }
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Graceful stop: SIGTERM (controlled shutdown), SIGKILL after `stopTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    return this.shutdown(this.options.persistent === false);
  }

  private shutdown(removeData: boolean): Promise<void> {
    this.stopping ??= (async () => {
      await this.terminate('SIGTERM', this.options.stopTimeoutMs ?? 30_000);
      rmSync(this.pidFile, { force: true });
      await new Promise<void>((done) => (this.logFile ? this.logFile.end(done) : done()));
      this.logFile = undefined;
      if (removeData) rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Kills the JVM without a shutdown (power loss): unflushed page cache aside, the log on disk is what remains. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL', 10_000);
  }

  /**
   * Starts the JVM again after kill() (or a crash), or stops and starts a running one, on the same ports
   * and data; resolves when it answers. `brokerConfig` changes settings from this start on.
   */
  async restart(brokerConfig?: Readonly<Record<string, string>>): Promise<void> {
    if (this.stopping) throw new Error('kafka-broker: stopped for good');
    if (this.pid !== undefined) await this.terminate('SIGTERM', this.options.stopTimeoutMs ?? 30_000);
    if (brokerConfig) {
      this.options.brokerConfig = { ...this.options.brokerConfig, ...brokerConfig };
      this.writeProperties();
    }
    await this.launch();
  }

  /** Freezes the JVM (SIGSTOP): connections stay open, nothing answers. */
  async pause(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    // kill() returns before every thread of the JVM has stopped (a network thread on the other core may still
    // answer a request for a moment): wait until the kernel reports the process stopped ('T' in /proc).
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && processState(pid) !== 'T') await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Thaws a paused JVM (SIGCONT). */
  resume(): void {
    if (this.pid !== undefined) process.kill(this.pid, 'SIGCONT');
  }

  /** A kafkajs admin client on this broker (caller connects and disconnects). */
  admin(): ReturnType<Kafka['admin']> {
    return new Kafka({ clientId: 'kafka-broker', brokers: [this.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
  }

  /** The last lines the broker printed (for error messages). */
  recentLines(): string[] {
    return [...this.recent];
  }

  // ---------------------------------------------------------------------------------------------

  private writeProperties(): void {
    writeFileSync(
      this.propertiesFile,
      serverProperties({
        logDir: join(this.dataDir, 'logs'),
        port: this.port,
        controllerPort: this.controllerPort,
        extraListeners: this.options.extraListeners ?? [],
        overrides: this.options.brokerConfig ?? {},
      }),
    );
  }

  private get pidFile(): string {
    return join(this.dataDir, 'broker.pid');
  }

  private get propertiesFile(): string {
    return join(this.dataDir, 'server.properties');
  }

  private javaArgs(mainClass: string, args: string[], heapMb: number): string[] {
    return [
      `-Xms${heapMb}m`,
      `-Xmx${heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${this.runtime.log4jConfig}`,
      // Marks the process, so a stale broker is recognised by its command line before it is stopped.
      `-Dchat-ledger.kafka.data=${this.dataDir}`,
      '-cp',
      `${this.runtime.libsDir}/*`,
      mainClass,
      ...args,
    ];
  }

  /** `kafka-storage format`: once per data folder, with static voters (no --standalone). */
  private async format(): Promise<void> {
    const output: string[] = [];
    const code = await new Promise<number>((done) => {
      const child = spawn(this.runtime.java, this.javaArgs('kafka.tools.StorageTool', ['format', '-t', this.clusterId, '-c', this.propertiesFile], 256), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
      child.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
      child.on('error', (e) => {
        output.push(e.message);
        done(-1);
      });
      child.on('close', (c) => done(c ?? -1));
    });
    if (code !== 0) throw new Error(`kafka-broker: formatting ${this.dataDir} failed (exit ${code}): ${output.join('').trim().slice(-1500)}`);
  }

  private async launch(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    const started = Date.now();
    this.recent.length = 0;
    this.logFile ??= createWriteStream(join(this.dataDir, 'broker.log'), { flags: 'a' });
    const child = spawn(this.runtime.java, this.javaArgs('kafka.Kafka', [this.propertiesFile], this.options.heapMb), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    // The broker must not outlive its host by accident (an exception, process.exit): only a SIGKILLed host
    // leaves it behind, and the next start stops that one through broker.pid.
    const killOnExit = () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    process.once('exit', killOnExit);
    let ready = false;
    let onReadyLine: () => void = () => undefined;
    const sawReadyLine = new Promise<void>((done) => (onReadyLine = done));
    const onLine = (line: string) => {
      if (!line) return;
      this.recent.push(line);
      if (this.recent.length > KEEP_LINES) this.recent.shift();
      this.logFile?.write(`${line}\n`);
      if (READY_LINE.test(line)) onReadyLine();
      // Warnings stay in broker.log (a single node warns about things that only matter in a cluster).
      if (/^(ERROR|FATAL) /.test(line)) log(`kafka: ${line}`);
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const text = rest + chunk.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    this.exited = new Promise<void>((done) => {
      child.on('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        if (!ready || !this.stopping) log(`kafka: broker process ${child.pid} exited (${signal ?? `code ${code}`})`);
        done();
      });
      child.on('error', (error) => {
        this.recent.push(error.message);
        done();
      });
    });
    if (child.pid !== undefined) writeFileSync(this.pidFile, `${child.pid}\n`);

    const timeoutMs = this.options.startTimeoutMs ?? 90_000;
    const deadline = Date.now() + timeoutMs;
    const outcome = await Promise.race([
      sawReadyLine.then(() => 'ready' as const),
      this.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), timeoutMs).unref()),
    ]);
    if (outcome !== 'ready') {
      if (outcome === 'timeout') await this.terminate('SIGKILL', 10_000);
      throw new Error(
        `kafka-broker: Apache Kafka ${KAFKA_VERSION} ${outcome === 'timeout' ? `did not start within ${timeoutMs} ms` : 'exited during start'} ` +
          `(data ${this.dataDir}, log ${join(this.dataDir, 'broker.log')}); last lines:\n${this.recent.slice(-15).join('\n')}`,
      );
    }
    // The log line says the node runs; a metadata round trip says clients can use it.
    await this.waitForMetadata(deadline);
    ready = true;
    log(
      `Apache Kafka ${KAFKA_VERSION} (KRaft, node 1) ready on ${this.bootstrapServers} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid}, heap ${this.options.heapMb} MiB, data ${this.dataDir})`,
    );
  }

  private async waitForMetadata(deadline: number): Promise<void> {
    let lastError: unknown;
    while (Date.now() < deadline) {
      const admin = new Kafka({
        brokers: [this.bootstrapServers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1_000,
        requestTimeout: 2_000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length > 0) return;
      } catch (error) {
        lastError = error;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`kafka-broker: started but does not answer metadata requests on ${this.bootstrapServers}: ${(lastError as Error)?.message ?? lastError}`);
  }

  private async terminate(signal: 'SIGTERM' | 'SIGKILL', timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      // A paused broker cannot act on SIGTERM.
      process.kill(child.pid, 'SIGCONT');
      process.kill(child.pid, signal);
    } catch {
      return;
    }
    const exited = this.exited ?? Promise.resolve();
    const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((done) => setTimeout(() => done(false), timeoutMs).unref())]);
    if (!inTime) {
      (this.options.log ?? (() => undefined))(`kafka: broker did not stop within ${timeoutMs} ms after ${signal}; killing it`);
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await exited;
    }
  }
}

function readClusterId(metaFile: string): string {
  const match = /^cluster\.id=(.+)$/m.exec(readFileSync(metaFile, 'utf8'));
  if (!match) throw new Error(`kafka-broker: ${metaFile} has no cluster.id`);
  return match[1]!.trim();
}

/** A broker left running by a host that was SIGKILLed holds the ports and the log: stop it first. */
async function stopStaleBroker(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'broker.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const ours = (() => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`-Dchat-ledger.kafka.data=${dataDir}`);
    } catch {
      return false;
    }
  })();
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && ours) {
    log(`stopping a stale Kafka broker (pid ${pid}) left by an earlier run`);
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    if (!(await waitUntilDead(pid, 30_000))) {
      process.kill(pid, 'SIGKILL');
      await waitUntilDead(pid, 5_000);
    }
  }
  rmSync(pidFile, { force: true });
}

/** The state letter of a process in /proc (R running, S sleeping, T stopped, …), or undefined where there is none. */
function processState(pid: number): string | undefined {
  try {
    // The command name (field 2) is in parentheses and may contain spaces: the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
