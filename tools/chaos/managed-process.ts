import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ManagedProcessOptions {
  name: string;
  script: string;
  env: Record<string, string>;
  readyWhen: (line: string) => boolean;
  logFile: string;
  /** Restart after an exit nobody asked for (a crash), like a supervisor would. */
  restartOnCrash: boolean;
  onEvent: (line: string) => void;
}

/**
 * An app under a tiny supervisor: started as its own OS process, killed by PID on purpose by the fault
 * schedule, restarted after crashes. Its output goes to a log file, not the test output.
 */
export class ManagedProcess {
  /** Every process started by this run, so an interrupted run can stop them all by PID. */
  static readonly running = new Set<ManagedProcess>();
  private child?: ChildProcess;
  private expectedExit = false;
  private log: WriteStream;
  restarts = 0;
  crashes = 0;
  stopped = false;

  constructor(readonly options: ManagedProcessOptions) {
    this.log = createWriteStream(options.logFile, { flags: 'a' });
    ManagedProcess.running.add(this);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private readyWaiters: Array<() => void> = [];

  /** Starts the process; resolves when it (or, after a crash at start, its restarted successor) is ready. */
  start(timeoutMs = 90_000): Promise<void> {
    const ready = this.waitReady(timeoutMs);
    this.spawnOnce();
    return ready;
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name} not ready after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private spawnOnce(): void {
    if (this.alive()) return; // one incarnation at a time, whoever asks for a restart
    this.expectedExit = false;
    const child = spawn(process.execPath, ['--enable-source-maps', this.options.script], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.options.readyWhen(line)) for (const notify of this.readyWaiters.splice(0)) notify();
    });
    child.once('exit', (code, signal) => {
      if (this.expectedExit || this.stopped) return;
      this.crashes++;
      this.options.onEvent(`${this.options.name} exited unexpectedly (code ${code}, signal ${signal}); supervisor restarts it`);
      setTimeout(() => {
        if (this.stopped || !this.options.restartOnCrash || this.alive()) return;
        this.restarts++;
        this.spawnOnce();
      }, 500);
    });
  }

  /** SIGKILL: no shutdown hooks, no last batch, no offset commit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.expectedExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    this.restarts++;
    await this.start();
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopped = true;
    ManagedProcess.running.delete(this);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}
