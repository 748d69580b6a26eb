import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, revertAllMigrations } from '@chat-ledger/database';
import { aUserId, connect, createTestDatabase } from '@chat-ledger/testing';
import { cliTestEnv } from '../../../tools/cli/cli-test-env';
import { runCli } from '../../../tools/cli/cli-program';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from '../src/database/ledger-migrations';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { aMessageEvent, anAdjustmentEvent, recordsOf, TokenEvent } from './events';
import { actualTotals, expectedTotals } from './expected-totals';
import { LedgerTestApp, startLedger } from './ledger-test-app';

describe('ledger:reconcile', () => {
  let ledger: LedgerTestApp;
  let reconcile: ReconcileService;
  const users = [aUserId('r1'), aUserId('r2')];
  const conversation = randomUUID();
  const message = randomUUID();
  const events: TokenEvent[] = [
    aMessageEvent({ userId: users[0]!, conversationId: conversation, messageId: message, at: '2026-01-05T10:10:00Z' }),
    aMessageEvent({
      userId: users[0]!,
      conversationId: conversation,
      model: null,
      role: 'user',
      at: '2026-01-05T10:20:00Z',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
    }),
    anAdjustmentEvent({ userId: users[0]!, conversationId: conversation, messageId: message, delta: -30, reason: 'refund', at: '2026-01-05T11:00:00Z' }),
    aMessageEvent({ userId: users[1]!, at: '2026-01-06T08:00:00Z', model: 'o3', usage: { prompt_tokens: 10, completion_tokens: 90, reasoning_tokens: 60 } }),
    anAdjustmentEvent({ userId: users[1]!, delta: 12, at: '2026-01-06T09:00:00Z' }),
  ];

  beforeAll(async () => {
    ledger = await startLedger();
    await ledger.apply.execute(recordsOf(events));
    reconcile = new ReconcileService(ledger.app.get(DataSource));
  });
  afterAll(() => ledger?.close());

  it('totals equal the journal after applying (and applying again changes nothing)', async () => {
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(expectedTotals(events));
    const again = await ledger.apply.execute(recordsOf(events));
    expect(again).toMatchObject({ applied: {}, duplicates: events.length });
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(expectedTotals(events));

    const report = await reconcile.check();
    expect(report.drifted).toBe(0);
    expect(report.tables.map((t) => [t.table, t.drifted])).toEqual([
      ['user_totals', 0],
      ['conversation_totals', 0],
      ['message_totals', 0],
      ['usage_hourly', 0],
      ['usage_records', 0],
    ]);
    const cli = cliTestEnv(ledger.databaseUrl);
    await expect(runCli(['ledger:reconcile'], cli.env)).resolves.toBe(0);
    expect(cli.out.at(-1)).toBe('ledger:reconcile: totals equal the journal');
  });

  it('reports tampered totals (exit 1) and --repair fixes them in one transaction (exit 0)', async () => {
    const before = await actualTotals(ledger.db, users);
    await ledger.db.query(`UPDATE ledger.user_totals SET tokens_total = tokens_total + 5 WHERE user_id = $1`, [users[0]]);
    await ledger.db.query(`UPDATE ledger.conversation_totals SET messages_counted = 9 WHERE conversation_id = $1`, [conversation]);
    // Cost is a total like tokens: recomputed from the journal's per-event costs and compared the same way.
    await ledger.db.query(`UPDATE ledger.user_totals SET cost_micros = cost_micros + 3 WHERE user_id = $1`, [users[1]]);
    await ledger.db.query(`DELETE FROM ledger.message_totals WHERE message_id = $1`, [message]);
    await ledger.db.query(`INSERT INTO ledger.message_totals (message_id, user_id, tokens_total) VALUES ($1, $2, 77)`, [randomUUID(), users[1]]);
    await ledger.db.query(`UPDATE ledger.usage_hourly SET prompt_tokens = prompt_tokens + 1 WHERE user_id = $1 AND model = 'o3'`, [users[1]]);

    const report = await reconcile.check();
    expect(report.tables.map((t) => [t.table, t.drifted])).toEqual([
      ['user_totals', 2],
      ['conversation_totals', 1],
      ['message_totals', 2],
      ['usage_hourly', 1],
      ['usage_records', 0],
    ]);
    expect(report.details).toEqual(
      expect.arrayContaining([
        { table: 'user_totals', key: { user_id: users[0] }, kind: 'different', columns: { tokens_total: { expected: 120, actual: 125 } } },
        { table: 'conversation_totals', key: { conversation_id: conversation }, kind: 'different', columns: { messages_counted: { expected: 2, actual: 9 } } },
        expect.objectContaining({
          table: 'user_totals',
          key: { user_id: users[1] },
          kind: 'different',
          columns: { cost_micros: expect.objectContaining({ actual: expect.any(Number) }) },
        }),
        expect.objectContaining({ table: 'message_totals', key: { message_id: message }, kind: 'missing' }),
        expect.objectContaining({
          table: 'message_totals',
          kind: 'unexpected',
          columns: expect.objectContaining({ tokens_total: { expected: null, actual: 77 } }),
        }),
        expect.objectContaining({ table: 'usage_hourly', kind: 'different', columns: { prompt_tokens: { expected: 10, actual: 11 } } }),
      ]),
    );

    const check = cliTestEnv(ledger.databaseUrl);
    await expect(runCli(['ledger:reconcile'], check.env)).resolves.toBe(1);
    expect(check.out.join('\n')).toContain(`drift user_totals user_id=${users[0]} (different): tokens_total expected 120 actual 125`);
    expect(check.out.at(-1)).toBe('ledger:reconcile: DRIFT in 6 rows (run with --repair to fix)');

    const repair = cliTestEnv(ledger.databaseUrl);
    await expect(runCli(['ledger:reconcile', '--repair'], repair.env)).resolves.toBe(0);
    expect(repair.out.at(-1)).toBe('ledger:reconcile: repaired 6 rows; totals equal the journal');

    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(before);
    await expect(runCli(['ledger:reconcile'], cliTestEnv(ledger.databaseUrl).env)).resolves.toBe(0);
  });

  it('every migration has a working down', async () => {
    const url = await createTestDatabase('ledger_down');
    const dataSource = new DataSource(buildDataSourceOptions({ url, schema: LEDGER_SCHEMA, migrations: LEDGER_MIGRATIONS, applicationName: 'test' }));
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      await revertAllMigrations(dataSource);
      const db = await connect(url);
      try {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'ledger'`);
        expect(rows[0].n).toBe(0);
      } finally {
        await db.end();
      }
      await expect(dataSource.runMigrations()).resolves.toHaveLength(LEDGER_MIGRATIONS.length);
    } finally {
      await dataSource.destroy();
    }
  });
});
