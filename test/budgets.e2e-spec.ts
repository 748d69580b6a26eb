import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import {
  aUserId,
  anAdjustment,
  anAssistantMessage,
  aUserMessage,
  createTestDatabase,
  createTestTopic,
  eventually,
  readTopic,
  testKafkaBrokers,
} from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';

/**
 * Budgets with the whole pipeline on real PostgreSQL and Apache Kafka: "used" counts what the ledger applied
 * and what is still on its way, in tokens and in cost from the ledger's price book; threshold events reach the
 * topic once per threshold and period, the ledger keeps them out of every total, and a replay of the whole
 * outbox changes neither totals nor thresholds.
 */
describe('budgets end to end', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  let topic: string;
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    topic = await createTestTopic('budgets', 4);
    const databaseUrl = await createTestDatabase('budgets');
    const kafka = { KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4' };
    // The ledger first: its migrations create the view and the pricing function the gateway's checks read.
    ledger = await startLedger({
      brokers: testKafkaBrokers(),
      databaseUrl,
      jwtSecret: secret,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', ...TEST_KAFKA_ENV },
    });
    gw = await startGateway({ databaseUrl, jwtSecret: secret, env: { RELAY_ENABLED: 'true', OUTBOX_POLL_INTERVAL: '200ms', ...kafka } });
    await ledger.http
      .as(token('finance', ['prices:admin']))
      .put('/v1/admin/prices/gpt-4o', { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: '2.50', output_per_mtok: '10.00' });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ledger?.close();
  });

  it('a hard cost budget: used in micro-units from the ledger and the outbox, thresholds once on the topic, none after a replay', async () => {
    const user = aUserId('spender');
    const api = gw.http.as(token(user));
    const admin = gw.http.as(token('ops', ['budgets:admin']));
    // 10,000 micro-USD a day in Berlin.
    await expect(
      admin.put(`/v1/admin/users/${user}/budget`, { period: 'day', tz: 'Europe/Berlin', limit_cost_micros: 10_000, mode: 'hard' }),
    ).resolves.toMatchObject({ status: 200 });

    const conversation = (await api.post('/v1/chat/messages', aUserMessage())).body.conversation_id;
    // 1000 × 2.5 + 400 × 10 = 6,500 µ: 65%.
    await api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: 1000, completion_tokens: 400 }));
    await eventually(async () => expect((await ledger.http.as(token(user)).get(`/v1/users/${user}/usage`)).body).toMatchObject({ cost_micros: 6500 }), {
      timeoutMs: 20_000,
    });
    // + 800 × 2.5 (an adjustment is priced at its model's input rate) = 8,500 µ: 85% → the 80% threshold.
    await gw.http
      .as(token('agent', ['tokens:adjust']))
      .post('/v1/token-adjustments', anAdjustment(user, { tokens_delta: 800, model: 'gpt-4o', reason: 'agent_step' }));
    // + 200 × 10 = 10,500 µ: over the limit → the 100% threshold; counted even though it passes the limit.
    await expect(
      api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: 0, completion_tokens: 200 })),
    ).resolves.toMatchObject({ status: 201 });

    // Exact at once, whether or not the ledger has applied the last two yet.
    const budget = await api.get(`/v1/users/${user}/budget`);
    expect(budget.body).toMatchObject({ used_cost_micros: 10_500, used_tokens: 1000 + 400 + 800 + 200, remaining_cost_micros: 0, limit_cost_micros: 10_000 });
    await expect(api.post(`/v1/conversations/${conversation}/messages`, aUserMessage())).resolves.toMatchObject({
      status: 429,
      body: { error: { code: 'BUDGET_EXCEEDED' } },
    });
    // A usage record counts at its latest revision, applied or not: revision 2 (300 prompt tokens) replaces revision 1 (100): 300 × 2.5.
    const reporter = gw.http.as(token('agents', ['usage:write']));
    const record = (revision: number, prompt: number) => ({
      user_id: user,
      model: 'gpt-4o',
      usage: { prompt_tokens: prompt, completion_tokens: 0 },
      occurred_at: new Date().toISOString(),
      revision,
    });
    await expect(reporter.put('/v1/usage-records/agents/run-1', record(1, 100))).resolves.toMatchObject({ status: 201 });
    await expect(reporter.put('/v1/usage-records/agents/run-1', record(2, 300))).resolves.toMatchObject({ status: 200 });
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_cost_micros: 10_500 + 750, used_tokens: 2400 + 300 } });

    const thresholdsOnTopic = async () =>
      (await readTopic(topic))
        .map((r) => r.value as { type: string; data: { user_id: string; metric: string; threshold_percent: number; used: number } })
        .filter((v) => v.type === 'ledger.budget.threshold_crossed' && v.data.user_id === user)
        .map((v) => [v.data.metric, v.data.threshold_percent, v.data.used]);
    await eventually(
      async () =>
        expect(await thresholdsOnTopic()).toEqual([
          ['cost', 80, 8500],
          ['cost', 100, 10_500],
        ]),
      { timeoutMs: 20_000 },
    );
    await eventually(
      async () => expect((await ledger.http.as(token(user)).get(`/v1/users/${user}/usage`)).body).toMatchObject({ cost_micros: 11_250, tokens_total: 2700 }),
      { timeoutMs: 20_000 },
    );
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_cost_micros: 11_250, used_tokens: 2700 } });

    // A replay of the whole outbox re-publishes every event: no total, no budget and no threshold changes.
    const replay = await gw.http.as(token('ops', ['outbox:admin'])).post('/v1/admin/outbox/replay', { user_ids: [user] });
    expect(replay.status).toBeLessThan(300);
    await eventually(
      async () =>
        expect((await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1 AND status <> 'published'`, [user])).rows[0].n).toBe(
          0,
        ),
      { timeoutMs: 20_000 },
    );
    await eventually(async () => expect((await readTopic(topic)).filter((r) => r.key === user).length).toBe(2 * replay.body.matched), { timeoutMs: 20_000 });
    await expect(ledger.http.as(token(user)).get(`/v1/users/${user}/usage`)).resolves.toMatchObject({ body: { cost_micros: 11_250, tokens_total: 2700 } });
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_cost_micros: 11_250 } });
    const { rows } = await gw.db.query(`SELECT count(*)::int AS n FROM chat.budget_thresholds WHERE user_id = $1`, [user]);
    expect(rows[0].n).toBe(2);
    const { rows: notices } = await gw.db.query(`SELECT count(*)::int AS n FROM ledger.notices WHERE user_id = $1`, [user]);
    expect(notices[0].n).toBe(2);
    const { rows: anomalies } = await gw.db.query(`SELECT count(*)::int AS n FROM ledger.sequence_anomalies WHERE user_id = $1`, [user]);
    expect(anomalies[0].n).toBe(0);
  }, 90_000);
});
