import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@chat-ledger/database';
import { issueToken } from '@chat-ledger/platform';
import { aUsageRecord, aUserId, createTestDatabase, createTestTopic, eventually, groupCaughtUp, testKafkaBrokers } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { ReconcileService } from '../apps/ledger-consumer/src/index';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';
import { runCliProcess } from './cli-process';

const SCHEMAS = ['chat', 'outbox', 'ledger'];

/**
 * Every column of every table of the three schemas that holds `needle`: text and json columns as text, bytea
 * columns as the UTF-8 bytes (dead letters keep raw Kafka keys and values).
 */
async function columnsHolding(db: Client, needle: string): Promise<string[]> {
  const { rows: columns } = await db.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = ANY($1::text[]) AND t.table_type = 'BASE TABLE'
      ORDER BY 1, 2, 3`,
    [SCHEMAS],
  );
  expect(columns.length).toBeGreaterThan(100);
  const hits: string[] = [];
  for (const c of columns) {
    const column = `"${c.column_name}"`;
    const test = c.data_type === 'bytea' ? `position(convert_to($1, 'UTF8') IN ${column}) > 0` : `strpos(${column}::text, $1) > 0`;
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${c.table_schema}.${c.table_name} WHERE ${test}`, [needle]);
    if (rows[0].n > 0) hits.push(`${c.table_schema}.${c.table_name}.${c.column_name} (${rows[0].n})`);
  }
  return hits;
}

/** What an organisation sees: sums by model, reason, source, task kind and hour, over every user. */
const ORG_TOTALS_SQL = `
  SELECT org_id, project_id, api_key_id, model, reason, source, task_kind, bucket, sum(events_count)::int AS events,
         sum(tokens_delta)::int AS tokens, sum(cost_micros)::int AS cost, sum(unpriced_events)::int AS unpriced
    FROM ledger.usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`;

/**
 * POST /v1/admin/users/:user_id/erase through the whole pipeline (gateway, outbox, relay, Kafka, ledger on real
 * PostgreSQL and Apache Kafka): afterwards no row of any table of the chat, outbox and ledger schemas holds the
 * user id or the user's content, while organisation totals and costs are unchanged and reconcile finds no drift;
 * a consumer group reset to the beginning re-reads every event of the user and brings nothing back.
 */
describe('user erasure end to end', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = [], orgId?: string) => issueToken({ userId, scopes, ...(orgId ? { orgId } : {}) }, secret);
  // Both users belong to one organisation, whose totals must survive the erasure of one of them.
  const ORG = 'acme';
  const group = `erasure-${randomBytes(4).toString('hex')}`;
  const victim = aUserId('erasee');
  const keeper = aUserId('keeper');
  const content = `confidential-${randomBytes(6).toString('hex')}`;
  let topic: string;
  let databaseUrl: string;
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp | undefined;
  let reconcileSource: DataSource;
  const startLedgerApp = () =>
    startLedger({
      brokers: testKafkaBrokers(),
      databaseUrl,
      jwtSecret: secret,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', KAFKA_GROUP_ID: group, ...TEST_KAFKA_ENV },
    });
  const cli = (...argv: string[]) => runCliProcess(argv, { KAFKA_BROKERS: testKafkaBrokers(), DATABASE_URL: databaseUrl });
  const drift = async () => (await new ReconcileService(reconcileSource).check()).drifted;

  beforeAll(async () => {
    topic = await createTestTopic('erasure', 4);
    databaseUrl = await createTestDatabase('erasure');
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      env: { RELAY_ENABLED: 'true', KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', OUTBOX_POLL_INTERVAL: '200ms' },
    });
    ledger = await startLedgerApp();
    reconcileSource = await new DataSource(
      buildDataSourceOptions({ url: databaseUrl, schema: 'ledger', applicationName: 'erasure-test', poolSize: 2 }),
    ).initialize();
    const prices = ledger.http.as(token('finance', ['prices:admin']));
    await expect(
      prices.put('/v1/admin/prices/gpt-4o', { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: '2.50', output_per_mtok: '10.00' }),
    ).resolves.toMatchObject({ status: 201 });
  }, 90_000);
  afterAll(async () => {
    await reconcileSource?.destroy();
    await ledger?.close();
    await gw?.close();
  });

  /** A bit of everything a user leaves behind, with `content` in what they wrote. */
  async function activity(user: string, content: string): Promise<number> {
    const api = gw.http.as(token(user, [], ORG));
    const service = gw.http.as(token('platform', ['tokens:adjust', 'tasks:write', 'usage:write']));
    const conversation = (await api.post('/v1/conversations', { title: `${content} trip`, system_prompt: `${content} prompt` })).body.conversation_id;
    expect(conversation).toBeDefined();
    const ask = await api.post(`/v1/conversations/${conversation}/messages`, { role: 'user', content: `${content} question` }, { 'Idempotency-Key': 'q-1' });
    expect(ask.status).toBe(201);
    const answer = await api.post(`/v1/conversations/${conversation}/messages`, {
      role: 'assistant',
      content: `${content} answer`,
      model: 'gpt-4o',
      usage: { prompt_tokens: 700, completion_tokens: 150 },
      api_key_id: 'key-web',
    });
    expect(answer.status).toBe(201);
    const adjusted = await service.post('/v1/token-adjustments', {
      user_id: user,
      message_id: answer.body.message_id,
      tokens_delta: 40,
      reason: 'title_generation',
      model: 'gpt-4o',
      triggered_at: new Date().toISOString(),
    });
    expect(adjusted.status).toBe(202);
    const task = await service.post('/v1/tasks', {
      source: 'title-worker',
      external_id: `title-${user}`,
      kind: 'title_generation',
      user_id: user,
      conversation_id: conversation,
      metadata: { note: `${content} task` },
    });
    expect(task.status).toBe(201);
    const completed = await service.post(`/v1/tasks/${task.body.task_id}/complete`, {
      outcome: 'succeeded',
      model: 'gpt-4o',
      usage: { prompt_tokens: 100, completion_tokens: 10 },
    });
    expect(completed.status).toBe(200);
    const record = await service.put(
      `/v1/usage-records/agents/run-${user}`,
      aUsageRecord(user, { conversation_id: conversation, occurred_at: new Date().toISOString() }),
    );
    expect(record.status).toBe(201);
    return 850 + 40 + 110 + 1200;
  }

  it('leaves no row anywhere holding the user id or their content; organisation totals, costs and reconcile unchanged', async () => {
    const admin = gw.http.as(token('dpo', ['users:erase', 'budgets:admin', 'outbox:admin']));
    // A soft budget of 1,000 tokens: the activity crosses 80% and 100% (thresholds, notices on the topic).
    await expect(admin.put(`/v1/admin/users/${victim}/budget`, { period: 'month', tz: 'UTC', limit_tokens: 1000, mode: 'soft' })).resolves.toMatchObject({
      status: 200,
    });
    const victimTokens = await activity(victim, content);
    const keeperTokens = await activity(keeper, 'ordinary');
    // An operator's replay of the victim's events (audited with their id; the ledger skips the copies)...
    await expect(admin.post('/v1/admin/outbox/replay', { user_ids: [victim] })).resolves.toMatchObject({ status: 202 });
    // ...and a record the ledger cannot read, keyed by the victim: a dead letter with their id in key and value.
    const kafka = new Kafka({ brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: victim, value: JSON.stringify({ id: 'not-an-id', data: { user_id: victim, note: content } }) }] });
    await producer.disconnect();

    const ledgerApi = (user: string) => ledger!.http.as(token(user));
    await eventually(
      async () => {
        for (const [user, tokens] of [
          [victim, victimTokens],
          [keeper, keeperTokens],
        ] as const) {
          await expect(ledgerApi(user).get(`/v1/users/${user}/usage`)).resolves.toMatchObject({ body: { tokens_total: tokens } });
        }
        const { rows } = await gw.db.query(
          `SELECT (SELECT count(*) FROM ledger.notices WHERE user_id = $1)::int AS notices,
                  (SELECT count(*) FROM ledger.dead_letters WHERE key = convert_to($1, 'UTF8'))::int AS dead_letters,
                  (SELECT count(*) FROM outbox.events WHERE status = 'pending')::int AS pending`,
          [victim],
        );
        expect(rows[0]).toEqual({ notices: 2, dead_letters: 1, pending: 0 });
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const orgBefore = (await gw.db.query(ORG_TOTALS_SQL)).rows;
    const keeperBefore = (await ledgerApi(keeper).get(`/v1/users/${keeper}/usage`)).body;
    await expect(drift()).resolves.toBe(0);
    // The scan finds what is there (so its empty answer later means something).
    const before = await columnsHolding(gw.db, victim);
    expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^chat\.messages\.user_id/), expect.stringMatching(/^ledger\.entries\.user_id/)]));
    expect(before).toEqual(expect.arrayContaining([expect.stringMatching(/^ledger\.dead_letters\.key/), expect.stringMatching(/^outbox\.replays\.filter/)]));
    expect(await columnsHolding(gw.db, content)).toEqual(expect.arrayContaining([expect.stringMatching(/^chat\.messages\.content/)]));

    // The organisation's data protection officer erases its users (an officer of another organisation may not).
    const dpo = gw.http.as(token('acme-dpo', ['users:erase'], ORG));
    const otherDpo = await gw.http.as(token('globex-dpo', ['users:erase'], 'globex')).post(`/v1/admin/users/${victim}/erase`, { dry_run: true });
    expect(otherDpo).toMatchObject({ status: 403, body: { error: { code: 'TENANT_MISMATCH', details: [{ field: 'user_id' }] } } });
    const dryRun = await dpo.post(`/v1/admin/users/${victim}/erase`, { dry_run: true });
    expect(dryRun).toMatchObject({ status: 200, body: { erasure_id: null, dry_run: true, ledger: 'none' } });
    expect(dryRun.body.removed).toMatchObject({
      conversations: 1,
      messages: 2,
      tasks: 1,
      budgets: 1,
      usage_records: 1,
      idempotency_keys: 1,
      organisation_bindings: 1,
      outbox_pending: 0,
    });
    expect(dryRun.body.removed.outbox_published).toBeGreaterThanOrEqual(5);
    expect(await columnsHolding(gw.db, victim)).toEqual(before);

    const forbidden = await gw.http.as(token('ops', ['budgets:admin'])).post(`/v1/admin/users/${victim}/erase`, {});
    expect(forbidden.status).toBe(403);

    const erased = await dpo.post(`/v1/admin/users/${victim}/erase`, {});
    expect(erased).toMatchObject({ status: 200, body: { dry_run: false, ledger: 'pending', removed: dryRun.body.removed } });
    const erasureId: string = erased.body.erasure_id;
    expect(erasureId).toMatch(/^[0-9a-f-]{36}$/);
    await eventually(
      async () => {
        const { rows } = await gw.db.query(
          `SELECT (SELECT count(*) FROM ledger.erasures WHERE erasure_id = $1)::int AS done,
                  (SELECT count(*) FROM outbox.events WHERE partition_key = $2)::int AS outbox`,
          [erasureId, victim],
        );
        expect(rows[0]).toEqual({ done: 1, outbox: 0 });
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    await expect(columnsHolding(gw.db, victim)).resolves.toEqual([]);
    await expect(columnsHolding(gw.db, content)).resolves.toEqual([]);
    // The audit says who erased and when, under the erasure id only.
    await expect(gw.db.query(`SELECT actor FROM chat.erasures WHERE id = $1`, [erasureId])).resolves.toMatchObject({ rows: [{ actor: 'acme-dpo' }] });
    await expect(gw.db.query(ORG_TOTALS_SQL)).resolves.toMatchObject({ rows: orgBefore });
    await expect(ledgerApi(keeper).get(`/v1/users/${keeper}/usage`)).resolves.toMatchObject({ body: keeperBefore });
    await expect(drift()).resolves.toBe(0);
    // The spend is still there, under a pseudonym that nothing maps back to the user.
    const { rows: pseudonyms } = await gw.db.query(`SELECT user_id, tokens_total::int FROM ledger.user_totals WHERE user_id LIKE 'erased-%'`);
    expect(pseudonyms).toEqual([{ user_id: expect.stringMatching(/^erased-[0-9a-f-]{36}$/), tokens_total: victimTokens }]);

    // Erasing again finds nothing left and changes nothing.
    const again = await admin.post(`/v1/admin/users/${victim}/erase`, { dry_run: true });
    expect(Object.values(again.body.removed as Record<string, number>).every((n) => n === 0)).toBe(true);
  }, 180_000);

  it('a consumer group reset to the beginning re-reads every event of the erased user and brings nothing back', async () => {
    const refused = await cli('ledger:reset-offsets', '--to-earliest', '--group', group, '--topic', topic);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('is active');
    const orgBefore = (await gw.db.query(ORG_TOTALS_SQL)).rows;
    await ledger!.close();
    ledger = undefined;

    const reset = await cli('ledger:reset-offsets', '--to-earliest', '--group', group, '--topic', topic);
    expect(reset).toMatchObject({ code: 0 });
    expect(reset.out).toMatch(/partition +\d+ +\d+ -> 0/);
    ledger = await startLedgerApp();

    await groupCaughtUp(group, topic);
    await expect(ledger.metric('ledger_duplicates_skipped_total')).resolves.toBeGreaterThan(0);
    await expect(ledger.metric('ledger_user_erasures_total')).resolves.toBe(1);
    await expect(columnsHolding(gw.db, victim)).resolves.toEqual([]);
    await expect(columnsHolding(gw.db, content)).resolves.toEqual([]);
    await expect(gw.db.query(ORG_TOTALS_SQL)).resolves.toMatchObject({ rows: orgBefore });
    await expect(drift()).resolves.toBe(0);
  }, 180_000);
});
