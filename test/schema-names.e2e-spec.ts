import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, DEFAULT_SCHEMA_NAMES, revertAllMigrations, schemaNamesFromEnv } from '@chat-ledger/database';
import { OUTBOX_MIGRATIONS } from '@chat-ledger/outbox';
import { issueToken } from '@chat-ledger/platform';
import {
  aUserId,
  anAdjustment,
  anAssistantMessage,
  aUserMessage,
  connect,
  createTestDatabase,
  createTestTopic,
  eventually,
  testKafkaBrokers,
} from '@chat-ledger/testing';
import { CHAT_MIGRATIONS } from '../apps/chat-gateway/src/index';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { LEDGER_MIGRATIONS } from '../apps/ledger-consumer/src/index';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';
import { runCli } from '../tools/cli/cli-program';
import { cliTestEnv } from '../tools/cli/cli-test-env';
import { runCliProcess } from './cli-process';

/**
 * A database chat-ledger shares with a company's own tables, which already use the schemas `chat`, `ledger` and
 * `outbox` (and a table `outbox.events`): with CHAT_SCHEMA, LEDGER_SCHEMA, OUTBOX_SCHEMA and OUTBOX_TABLE set,
 * `npm run migrate` creates everything in the chosen schemas, the apps start with DB_MIGRATE=false (no DDL at run
 * time), the whole pipeline runs on real Kafka (outbox → relay → ledger, the gateway's budget reading the ledger's
 * view, the operators' CLI), the company's tables are never touched, and the migrations' `down` removes exactly ours.
 */
describe('schema names: chat-ledger beside tables of the same names', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  const names = { CHAT_SCHEMA: 'cl_chat', LEDGER_SCHEMA: 'cl_ledger', OUTBOX_SCHEMA: 'cl_outbox', OUTBOX_TABLE: 'outgoing' };
  const schemaNames = schemaNamesFromEnv(names);
  let databaseUrl: string;
  let topic: string;
  let db: Client;
  let gw: GatewayTestApp | undefined;
  let ledger: LedgerTestApp | undefined;

  /** The CLI in this process (the first migrate runs it as a process of its own, reading the keys from its environment). */
  const cli = async (argv: string[], withNames = true) => {
    const { env, out, err } = cliTestEnv(databaseUrl, withNames ? schemaNames : DEFAULT_SCHEMA_NAMES);
    return { code: await runCli(argv, env), out: [...out, ...err].join('\n') };
  };

  /** Relations (tables, views, sequences, indexes) and functions per schema. */
  const objectsIn = async (schema: string) =>
    (
      await db.query<{ name: string }>(
        `SELECT relname AS name FROM pg_class WHERE relnamespace = to_regnamespace($1)
         UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = to_regnamespace($1) ORDER BY 1`,
        [schema],
      )
    ).rows.map((r) => r.name);

  const companyRows = async () =>
    (
      await db.query(
        `SELECT (SELECT json_agg(m ORDER BY id) FROM chat.messages m) AS messages,
                (SELECT json_agg(e ORDER BY id) FROM ledger.entries e) AS entries,
                (SELECT json_agg(o ORDER BY id) FROM outbox.events o) AS events`,
      )
    ).rows[0];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('schemanames');
    topic = await createTestTopic('schemanames', 4);
    db = await connect(databaseUrl);
    // The company's own tables, in the schemas chat-ledger would use by default.
    await db.query(`
      CREATE SCHEMA chat;   CREATE TABLE chat.messages (id int PRIMARY KEY, body text);
      CREATE SCHEMA ledger; CREATE TABLE ledger.entries (id int PRIMARY KEY, amount numeric);
      CREATE SCHEMA outbox; CREATE TABLE outbox.events (id int PRIMARY KEY, topic text);
      INSERT INTO chat.messages VALUES (1, 'hello from the CRM');
      INSERT INTO ledger.entries VALUES (1, 12.50);
      INSERT INTO outbox.events VALUES (1, 'crm.contacts')`);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ledger?.close();
    await db?.end();
  });

  it('npm run migrate creates every object in the chosen schemas and nothing in the company’s', async () => {
    const before = { chat: await objectsIn('chat'), ledger: await objectsIn('ledger'), outbox: await objectsIn('outbox') };
    const migrate = await runCliProcess(['migrate'], { DATABASE_URL: databaseUrl, ...names });
    expect(migrate.out).toMatch(/^chat \(in schema cl_chat\): applied \d+/m);
    expect(migrate.out).toMatch(/^outbox \(in schema cl_outbox\): applied \d+/m);
    expect(migrate.out).toMatch(/^ledger \(in schema cl_ledger\): applied \d+/m);
    expect(migrate.code).toBe(0);
    await expect(cli(['migrate', '--check'])).resolves.toMatchObject({ code: 0 });

    await expect(objectsIn('chat')).resolves.toEqual(before.chat);
    await expect(objectsIn('ledger')).resolves.toEqual(before.ledger);
    await expect(objectsIn('outbox')).resolves.toEqual(before.outbox);
    await expect(objectsIn('cl_chat')).resolves.toEqual(expect.arrayContaining(['conversations', 'messages', 'budgets', 'tasks', 'usage_records']));
    await expect(objectsIn('cl_ledger')).resolves.toEqual(expect.arrayContaining(['entries', 'user_totals', 'user_spend_view', 'event_cost_micros']));
    await expect(objectsIn('cl_outbox')).resolves.toEqual(expect.arrayContaining(['outgoing', 'replays', 'shard_of']));
    await expect(objectsIn('cl_outbox')).resolves.not.toContain('events');
    // The outbox's status check of the renamed table is the one later migrations replaced (it allows `skipped`).
    const checks = await db.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'cl_outbox.outgoing'::regclass AND contype = 'c'`,
    );
    expect(checks.rows).toEqual([{ def: expect.stringContaining("'skipped'") }]);
    // The migrations are recorded under the chosen names too.
    const { rows } = await db.query(`SELECT to_regclass('public.cl_chat_migrations') AS chat, to_regclass('public.chat_migrations') AS default_chat`);
    expect(rows[0]).toEqual({ chat: 'cl_chat_migrations', default_chat: null });
  });

  // The relay polls only every 10 minutes here: events arrive within the test because the insert trigger's NOTIFY on
  // the outbox schema's channel (cl_outbox_events) wakes it.
  it('the pipeline runs on the chosen schemas with DB_MIGRATE=false: messages and adjustments reach the ledger, budgets read its view', async () => {
    const kafka = { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4' };
    ledger = await startLedger({
      brokers: testKafkaBrokers(),
      databaseUrl,
      jwtSecret: secret,
      env: { ...names, ...kafka, ...TEST_KAFKA_ENV, DB_MIGRATE: 'false' },
    });
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      env: { ...names, ...kafka, KAFKA_BROKERS: testKafkaBrokers(), RELAY_ENABLED: 'true', OUTBOX_POLL_INTERVAL: '10m', DB_MIGRATE: 'false' },
    });
    await expect(
      ledger.http
        .as(token('finance', ['prices:admin']))
        .put('/v1/admin/prices/gpt-4o', { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: '2.50', output_per_mtok: '10.00' }),
    ).resolves.toMatchObject({ status: 201 });

    const user = aUserId('sharer');
    const api = gw.http.as(token(user));
    await expect(
      gw.http
        .as(token('ops', ['budgets:admin']))
        .put(`/v1/admin/users/${user}/budget`, { period: 'day', tz: 'UTC', limit_cost_micros: 1_000_000, mode: 'hard' }),
    ).resolves.toMatchObject({ status: 200 });
    const question = await api.post('/v1/chat/messages', aUserMessage());
    expect(question.status).toBe(201);
    const conversation = question.body.conversation_id;
    await expect(
      api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: 1000, completion_tokens: 400 })),
    ).resolves.toMatchObject({ status: 201 });
    await expect(
      gw.http
        .as(token('billing', ['tokens:adjust']))
        .post('/v1/token-adjustments', anAdjustment(user, { tokens_delta: 100, model: 'gpt-4o', reason: 'agent_step' })),
    ).resolves.toMatchObject({ status: 202 });

    // The round's 1400 tokens and the adjustment's 100, priced by the ledger; the gateway's budget reads the same spend.
    await eventually(async () => expect((await ledger!.http.as(token(user)).get(`/v1/users/${user}/usage`)).body).toMatchObject({ tokens_total: 1500 }), {
      timeoutMs: 30_000,
    });
    const usage = (await ledger.http.as(token(user)).get(`/v1/users/${user}/usage`)).body;
    expect(usage.cost_micros).toBeGreaterThanOrEqual(1000 * 2.5 + 400 * 10);
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ status: 200, body: { used_cost_micros: usage.cost_micros, used_tokens: 1500 } });
    await expect(gw.http.as(token('ops', ['outbox:admin'])).get(`/v1/admin/outbox?user_id=${user}`)).resolves.toMatchObject({
      status: 200,
      body: { list: [{ status: 'published' }, { status: 'published' }, { status: 'published' }] },
    });
    await expect(db.query(`SELECT count(*)::int AS n FROM cl_outbox.outgoing WHERE partition_key = $1`, [user])).resolves.toMatchObject({ rows: [{ n: 3 }] });
    await expect(db.query(`SELECT count(*)::int AS n FROM cl_ledger.entries WHERE user_id = $1`, [user])).resolves.toMatchObject({ rows: [{ n: 3 }] });
  }, 90_000);

  it('the operators’ CLI reads the same schemas: outbox stats and the ledger’s reconciliation', async () => {
    const stats = await cli(['outbox:stats']);
    expect(stats).toMatchObject({ code: 0 });
    expect(stats.out).toMatch(/^published last minute\s+3$/m);
    const reconcile = await cli(['ledger:reconcile']);
    expect(reconcile).toMatchObject({ code: 0 });
    // Without the names the CLI looks for the default schemas and finds the company's table instead of an outbox.
    await expect(cli(['outbox:stats'], false)).resolves.toMatchObject({ code: 1 });
  }, 60_000);

  it('the company’s tables were never touched, and reverting every migration removes exactly chat-ledger’s objects', async () => {
    await gw?.close();
    await ledger?.close();
    gw = ledger = undefined;
    await expect(companyRows()).resolves.toEqual({
      messages: [{ id: 1, body: 'hello from the CRM' }],
      entries: [{ id: 1, amount: 12.5 }],
      events: [{ id: 1, topic: 'crm.contacts' }],
    });
    // Every owner's `down`, newest owner first (the ledger's view reads nothing of the others; the outbox came after chat).
    for (const owner of [
      { schema: 'ledger', migrations: LEDGER_MIGRATIONS },
      { schema: 'outbox', migrations: OUTBOX_MIGRATIONS },
      { schema: 'chat', migrations: CHAT_MIGRATIONS },
    ]) {
      const dataSource = new DataSource(buildDataSourceOptions({ url: databaseUrl, ...owner, names: schemaNames, applicationName: 'revert', poolSize: 1 }));
      await dataSource.initialize();
      await revertAllMigrations(dataSource).finally(() => dataSource.destroy());
    }
    for (const schema of ['cl_chat', 'cl_ledger', 'cl_outbox']) await expect(objectsIn(schema)).resolves.toEqual([]);
    await expect(objectsIn('chat')).resolves.toEqual(['messages', 'messages_pkey']);
    await expect(companyRows()).resolves.toMatchObject({ messages: [{ id: 1 }], entries: [{ id: 1 }], events: [{ id: 1 }] });
  }, 60_000);
});
