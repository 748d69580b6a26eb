import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { detectJava } from '@chat-ledger/kafka-broker';
import { whileRunning } from './interrupt';

/** The Debezium release the bench's peer relay runs (keep in step with bench/debezium/pom.xml). */
export const DEBEZIUM_VERSION = '3.6.1.Final';

/** bench/debezium (pom.xml, src/), from dist/bench/harness and from the sources alike. */
export function debeziumProjectDir(): string {
  for (const dir of [join(__dirname, '..', 'debezium'), join(__dirname, '..', '..', '..', 'bench', 'debezium')]) {
    if (existsSync(join(dir, 'pom.xml'))) return dir;
  }
  throw new Error(`bench/debezium/pom.xml not found from ${__dirname}`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

/** Hash of pom.xml and every file under src/: a change to either means a new build. */
function sourceHash(project: string): string {
  const hash = createHash('sha256');
  for (const file of [join(project, 'pom.xml'), ...filesUnder(join(project, 'src'))]) {
    hash.update(relative(project, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export interface DebeziumRuntime {
  java: string;
  /** `java -cp` value: our jar and every dependency jar. */
  classPath: string;
  /** Where the build is cached. */
  dir: string;
  /** Seconds the Maven build took, or 0 when the cache had it. */
  buildSeconds: number;
}

/**
 * The relay program built with Maven into `~/.cache/chat-ledger/debezium-<version>/<hash>/` (`$XDG_CACHE_HOME` if
 * set): `mvn package dependency:copy-dependencies` with the build directory pointed there, through a staging folder
 * renamed into place, so the repository never gets a target/ and a concurrent build never sees half a cache. A cache
 * whose hash matches pom.xml and src/ is used as it is (no Maven run).
 */
export async function resolveDebeziumRuntime(log: (s: string) => void): Promise<DebeziumRuntime> {
  const { java } = detectJava(process.env.JAVA_HOME);
  const project = debeziumProjectDir();
  const base = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'chat-ledger', `debezium-${DEBEZIUM_VERSION}`);
  const dir = join(base, sourceHash(project));
  const jar = join(dir, 'debezium-bench-relay-1.jar');
  const classPath = `${jar}:${join(dir, 'libs', '*')}`;
  if (existsSync(jar) && existsSync(join(dir, 'libs'))) return { java, classPath, dir, buildSeconds: 0 };

  if (spawnSync('mvn', ['-v'], { encoding: 'utf8' }).error) {
    throw new Error('the Debezium bench relay is built with Apache Maven, but `mvn` cannot be run (Debian/Ubuntu: apt-get install -y maven)');
  }
  mkdirSync(base, { recursive: true });
  const staging = `${dir}.partial-${process.pid}-${Date.now()}`;
  const started = Date.now();
  log(`building the Debezium ${DEBEZIUM_VERSION} bench relay with Maven into ${dir} (once per change of bench/debezium)…`);
  const output: string[] = [];
  const code = await new Promise<number>((done) => {
    const child = spawn(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(project, 'pom.xml'),
        'package',
        'dependency:copy-dependencies',
        `-Ddebezium.build.dir=${staging}`,
        `-DoutputDirectory=${join(staging, 'libs')}`,
        '-DincludeScope=runtime',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => output.push(chunk.toString('utf8'));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', () => done(-1));
    child.on('close', (c) => done(c ?? -1));
  });
  if (code !== 0 || !existsSync(join(staging, 'debezium-bench-relay-1.jar'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`mvn could not build bench/debezium (exit ${code}); is Maven Central reachable? mvn said: ${output.join('').trim().slice(-2000)}`);
  }
  // Only the jar and its dependencies are kept (classes/, maven-status/ … are build leftovers).
  for (const name of readdirSync(staging))
    if (name !== 'libs' && name !== 'debezium-bench-relay-1.jar') rmSync(join(staging, name), { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process built it first: use its copy
  }
  const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
  log(`Debezium bench relay built in ${buildSeconds} s`);
  return { java, classPath, dir, buildSeconds };
}

export interface DebeziumEvent {
  event: string;
  at: number;
  message?: string;
  sent?: number;
  skipped?: number;
  batches?: number;
}

/**
 * The Debezium relay's JVM (bench/debezium's DebeziumRelay), one for a whole scenario: `start(props)` runs an
 * embedded engine with those settings, `stop()` closes it; its log lines are kept (the last ones explain a failure).
 */
export class DebeziumProcess {
  private readonly events: DebeziumEvent[] = [];
  private waiters: Array<() => void> = [];
  readonly logLines: string[] = [];
  private exited = false;
  private running = false;
  private propsCount = 0;
  /** Unregisters this JVM from what an interrupted run stops (bench/harness/interrupt.ts). */
  private forget?: () => void;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly workDir: string,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as DebeziumEvent);
      } catch {
        this.keepLog(line);
      }
      this.notify();
    });
    createInterface({ input: child.stderr }).on('line', (line) => this.keepLog(line));
    child.on('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  /**
   * Starts the JVM and waits for its `ready` line. `workDir` holds the properties and offset files. Debezium logs at
   * WARN; `BENCH_DEBEZIUM_LOG=info` (or debug) with `BENCH_DEBEZIUM_LOG_FILE=<path>` keeps a fuller log for a look.
   */
  static async launch(runtime: DebeziumRuntime, workDir: string, heapMb = 512): Promise<DebeziumProcess> {
    mkdirSync(workDir, { recursive: true });
    const level = process.env.BENCH_DEBEZIUM_LOG ?? 'warn';
    const child = spawn(
      runtime.java,
      [
        `-Xms${heapMb}m`,
        `-Xmx${heapMb}m`,
        `-Dorg.slf4j.simpleLogger.defaultLogLevel=${level}`,
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-cp',
        runtime.classPath,
        'dev.chatledger.bench.debezium.DebeziumRelay',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const p = new DebeziumProcess(child, workDir);
    p.forget = whileRunning(() => p.exit());
    const logFile = process.env.BENCH_DEBEZIUM_LOG_FILE;
    if (logFile) createInterface({ input: child.stderr }).on('line', (line) => appendFileSync(logFile, `${line}\n`));
    await p.waitFor('ready', 60_000);
    return p;
  }

  /** Writes the engine's (and, prefixed `producer.`, the producer's) settings to a file and starts an engine on them. */
  async start(props: Record<string, string>): Promise<void> {
    const file = join(this.workDir, `engine-${++this.propsCount}.properties`);
    writeFileSync(
      file,
      Object.entries(props)
        .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
        .join('\n') + '\n',
    );
    this.events.length = 0;
    this.running = true;
    this.child.stdin.write(`start ${file}\n`);
    await this.waitFor('task_started', 60_000);
  }

  /** Closes the engine (offsets of everything sent are committed) and its producer; returns its counts (null if none ran). */
  async stop(): Promise<DebeziumEvent | null> {
    if (!this.running || this.exited) return null;
    this.running = false;
    this.child.stdin.write('stop\n');
    return this.waitFor('stopped', 90_000);
  }

  /** An engine that stopped on an error says so here (null while all is well). */
  failure(): string | null {
    const failed = this.events.find((e) => e.event === 'failed' || e.event === 'error');
    return failed
      ? `${failed.event}: ${failed.message}`
      : this.exited
        ? `the Debezium JVM exited; last log lines: ${this.logLines.slice(-5).join(' | ')}`
        : null;
  }

  async waitFor(event: string, timeoutMs: number): Promise<DebeziumEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.event === event);
      if (found) return found;
      const problem = this.failure();
      if (problem) throw new Error(`Debezium: ${problem}; last log lines: ${this.logLines.slice(-5).join(' | ')}`);
      if (Date.now() > deadline)
        throw new Error(`Debezium: no "${event}" within ${timeoutMs / 1000} s; last log lines: ${this.logLines.slice(-5).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1_000, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async exit(): Promise<void> {
    this.forget?.();
    if (this.exited) return;
    this.child.stdin.write('exit\n');
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(timer);
  }

  private keepLog(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > 300) this.logLines.shift();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
