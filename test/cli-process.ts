import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/**
 * `npm run cli -- …` as an operator runs it: the CLI's main from the sources (transpile-only hook, no build) in a
 * process of its own, with only the given environment (DATABASE_URL, KAFKA_BROKERS). Resolves with its exit code
 * and what it printed (stdout then stderr).
 */
export function runCliProcess(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', join(ROOT, 'libs/testing/src/register-ts.js'), join(ROOT, 'tools/cli/main.ts'), ...argv],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}
