import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildAppOptions {
  name: string;
  script: string;
  env: Record<string, string>;
  /** Resolves start() when a stdout line matches. */
  readyWhen: (line: string) => boolean;
  onLine?: (line: string) => void;
  /** Extra node flags, e.g. ['--cpu-prof'] (profiling from `npm run bench -- --profile`). */
  nodeArgs?: string[];
}

/** An app run as its own OS process, so it can be stopped (or killed) alone. */
export class ChildApp {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;

  constructor(readonly options: ChildAppOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ['--enable-source-maps', ...(this.options.nodeArgs ?? []), this.options.script], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which stops the apps
      // first and the servers after them, in order.
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name} did not become ready in ${timeoutMs} ms`)), timeoutMs);
      const onLine = (line: string) => {
        this.options.onLine?.(line);
        if (this.options.readyWhen(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', (line) => this.options.onLine?.(line));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.options.name} exited during start (code ${code}, signal ${signal})`));
      });
    });
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
