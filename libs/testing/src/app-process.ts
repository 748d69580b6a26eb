import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from './eventually';

const ROOT = resolve(__dirname, '..', '..', '..');

export interface AppProcessOptions {
  /** The app's entry, relative to the repository: `apps/chat-gateway/src/main.ts`. */
  entry: string;
  /** The whole environment of the process (PATH is added). */
  env: Record<string, string>;
  /** Started when a stdout line contains this, e.g. `"chat-gateway listening"`. */
  readyWhen: string;
  timeoutMs?: number;
}

/**
 * An app as a real OS process, run from the TypeScript sources through register-ts.js (no build): for tests of
 * what only a process has, such as OpenTelemetry's instrumentations (they patch Node's require, which jest
 * replaces) or a SIGKILL. Its stdout and stderr lines are kept.
 */
export class AppProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    createInterface({ input: child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.lines.push(`[stderr] ${line}`));
  }

  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const child = spawn(process.execPath, ['-r', join(ROOT, 'libs/testing/src/register-ts.js'), join(ROOT, options.entry)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(options.entry, child);
    await Promise.race([
      eventually(
        () => {
          if (!app.lines.some((l) => l.includes(options.readyWhen))) throw new Error(`${options.entry} not ready:\n${app.lines.join('\n')}`);
        },
        { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100 },
      ),
      app.exited.then(({ code }) => {
        throw new Error(`${options.entry} exited during start (code ${code}):\n${app.lines.join('\n')}`);
      }),
    ]);
    return app;
  }

  /** The JSON log lines (stdout lines that parse). */
  logs(): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  /** SIGTERM (a graceful stop), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
