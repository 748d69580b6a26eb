import { DEFAULT_SCHEMA_NAMES } from '@chat-ledger/database';
import type { CliCommand, CliEnv } from './cli-command';
import { runCli } from './cli-program';
import { COMMANDS } from './commands';

function fakeEnv() {
  const out: string[] = [];
  const err: string[] = [];
  const env: CliEnv = {
    databaseUrl: () => {
      throw new Error('set DATABASE_URL, or run `npm start` first');
    },
    schemaNames: () => DEFAULT_SCHEMA_NAMES,
    kafkaConnection: () => ({}),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  return { env, out, err, text: () => ({ out: out.join('\n'), err: err.join('\n') }) };
}

describe('npm run cli (commander)', () => {
  it('help lists every command with its summary and exits 0; no command shows the help too', async () => {
    const help = fakeEnv();
    await expect(runCli(['help'], help.env)).resolves.toBe(0);
    for (const c of COMMANDS) expect(help.text().out).toContain(c.name);
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'migrate',
      'ledger:reconcile',
      'kafka:tail',
      'outbox:stats',
      'outbox:list',
      'outbox:replay',
      'outbox:retry',
      'outbox:skip',
      'ledger:dlq-redrive',
      'ledger:reset-offsets',
    ]);
    const none = fakeEnv();
    await expect(runCli([], none.env)).resolves.toBe(0);
    expect(none.text().err).toContain('outbox:replay');
    const one = fakeEnv();
    await expect(runCli(['help', 'outbox:list'], one.env)).resolves.toBe(0);
    expect(one.text().out).toContain('--user-id <user>');
  });

  it.each([
    ['an unknown command', ['outbox:lost']],
    ['an unknown option', ['outbox:stats', '--verbose']],
    ['an option without its value', ['outbox:list', '--limit']],
    ['a missing argument', ['outbox:retry']],
    ['an extra argument', ['outbox:retry', '1', '2']],
    ['an id that is not one', ['outbox:retry', 'abc']],
  ])('exits 2 for %s', async (_name, argv) => {
    const { env, text } = fakeEnv();
    await expect(runCli(argv, env)).resolves.toBe(2);
    expect(text().err).not.toBe('');
  });

  it('exits 1 with the command name when a command fails', async () => {
    const { env, text } = fakeEnv();
    await expect(runCli(['outbox:stats'], env)).resolves.toBe(1);
    expect(text().err).toBe('outbox:stats: set DATABASE_URL, or run `npm start` first');
  });

  it('hands a command its parsed options and arguments and returns its exit code', async () => {
    const seen: unknown[] = [];
    const demo: CliCommand<{ dryRun: boolean; tag?: string[] }> = {
      name: 'demo:run',
      summary: 'demo',
      define: (c) =>
        c
          .argument('<what>')
          .option('--dry-run', 'x', false)
          .option('--tag <t>', 'x', (v: string, p: string[] = []) => [...p, v]),
      run: async (input) => {
        seen.push(input);
        return 7;
      },
    };
    await expect(runCli(['demo:run', 'it', '--tag', 'a', '--tag', 'b'], fakeEnv().env, [demo as CliCommand])).resolves.toBe(7);
    expect(seen).toEqual([{ options: { dryRun: false, tag: ['a', 'b'] }, args: ['it'] }]);
  });
});
