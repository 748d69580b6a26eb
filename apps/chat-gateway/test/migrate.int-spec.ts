import { Client } from 'pg';
import { PendingMigrationsError } from '@chat-ledger/database';
import { connect, createTestDatabase } from '@chat-ledger/testing';
import { cliTestEnv } from '../../../tools/cli/cli-test-env';
import { runCli } from '../../../tools/cli/cli-program';
import { startGateway } from './gateway-test-app';

/**
 * `npm run migrate` (the CLI's migrate command) against an empty database, and the gateway with DB_MIGRATE=false:
 * it refuses to start while migrations are pending and starts once they are applied.
 */
describe('npm run migrate and DB_MIGRATE=false', () => {
  let url: string;
  let db: Client;

  beforeAll(async () => {
    url = await createTestDatabase('migrate');
    db = await connect(url);
  });
  afterAll(() => db?.end());

  async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const { env, out, err } = cliTestEnv(url);
    return { code: await runCli(argv, env), out, err };
  }

  const tables = async () =>
    (
      await db.query<{ chat: boolean; outbox: boolean; ledger: boolean }>(
        `SELECT to_regclass('chat.messages') IS NOT NULL AS chat, to_regclass('outbox.events') IS NOT NULL AS outbox,
                to_regclass('ledger.entries') IS NOT NULL AS ledger`,
      )
    ).rows[0];

  it('the gateway with DB_MIGRATE=false refuses an unmigrated database, naming the pending migrations and the way out', async () => {
    const start = startGateway({ databaseUrl: url, env: { DB_MIGRATE: 'false' } });
    await expect(start).rejects.toThrow(PendingMigrationsError);
    await expect(start).rejects.toThrow(/^chat-gateway cannot start: DB_MIGRATE=false and the database has pending migrations \(chat: \S+.*; outbox: \S+/);
    await expect(start).rejects.toThrow('Apply them first with `npm run migrate`');
    // Refusing changed nothing: no schema was created on the way.
    await expect(tables()).resolves.toEqual({ chat: false, outbox: false, ledger: false });
  });

  it('--check lists what is pending and exits 1; an unknown owner is bad usage', async () => {
    const check = await cli('migrate', '--check');
    expect(check.code).toBe(1);
    expect(check.out).toEqual([
      expect.stringMatching(/^chat: \d+ pending \(/),
      expect.stringMatching(/^outbox: \d+ pending/),
      expect.stringMatching(/^ledger: \d+ pending/),
    ]);
    await expect(cli('migrate', '--owner', 'billing')).resolves.toMatchObject({
      code: 2,
      err: ['migrate: unknown --owner billing (known: chat, outbox, ledger)'],
    });
  });

  it('applies the migrations of all three owners without starting an app; a second run finds nothing to do', async () => {
    const first = await cli('migrate');
    expect(first).toMatchObject({ code: 0, err: [] });
    expect(first.out).toEqual([
      expect.stringMatching(/^chat: applied \d+ \(/),
      expect.stringMatching(/^outbox: applied \d+/),
      expect.stringMatching(/^ledger: applied \d+/),
    ]);
    await expect(tables()).resolves.toEqual({ chat: true, outbox: true, ledger: true });
    await expect(cli('migrate')).resolves.toMatchObject({ code: 0, out: ['chat: up to date', 'outbox: up to date', 'ledger: up to date'] });
    await expect(cli('migrate', '--check')).resolves.toMatchObject({ code: 0 });
  });

  it('the gateway with DB_MIGRATE=false then starts and serves', async () => {
    const gw = await startGateway({ databaseUrl: url, env: { DB_MIGRATE: 'false' } });
    try {
      const res = await gw.http.as(gw.token('migrated-user')).post('/v1/conversations', {});
      expect(res.status).toBe(201);
    } finally {
      await gw.close();
    }
  });
});
