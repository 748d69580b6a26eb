import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, createTestDatabase, createTestTopic, eventually, testKafkaBrokers } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import type { paths as GatewayPaths } from '../apps/chat-gateway/test/openapi';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';
import type { paths as LedgerPaths } from '../apps/ledger-consumer/test/openapi';

/**
 * Gateway, relay and ledger-consumer together on real PostgreSQL and Apache Kafka: writes over REST arrive in the
 * ledger with exact totals and cost; emptying the ledger and replaying the outbox rebuilds identical totals and cost.
 */
describe('pipeline end to end: gateway → outbox → relay → Kafka → ledger', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  let topic: string;
  let databaseUrl: string;
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp | undefined;
  const startLedgerApp = async () =>
    startLedger({ brokers: testKafkaBrokers(), databaseUrl, jwtSecret: secret, env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '16', ...TEST_KAFKA_ENV } });

  beforeAll(async () => {
    topic = await createTestTopic('pipeline', 16);
    databaseUrl = await createTestDatabase('pipeline');
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      env: { RELAY_ENABLED: 'true', KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '16', OUTBOX_POLL_INTERVAL: '200ms' },
    });
    ledger = await startLedgerApp();
    // A price book before the first event: every assistant round is priced when the ledger applies it.
    const prices = ledger.http.as(token('finance', ['prices:admin']));
    for (const [model, input, output] of [
      ['gpt-4o', '2.50', '10.00'],
      ['gpt-4o-mini', '0.15', '0.60'],
    ] as const) {
      await expect(
        prices.put(`/v1/admin/prices/${model}`, { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: input, output_per_mtok: output }),
      ).resolves.toMatchObject({ status: 201 });
    }
  }, 60_000);
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  const expected = {
    users: new Map<string, number>(),
    conversations: new Map<string, number>(),
    messages: new Map<string, number>(),
    counted: new Map<string, number>(),
    adjustments: new Map<string, number>(),
    cost: new Map<string, number>(),
    unpriced: new Map<string, number>(),
  };
  // Micro-units per token (the price per 1M tokens in micro-units / 1M); each event rounded on its own.
  const rates: Record<string, [number, number]> = { 'gpt-4o': [2.5, 10], 'gpt-4o-mini': [0.15, 0.6] };
  const costOf = (model: string, usage: { prompt_tokens: number; completion_tokens: number }) =>
    Math.round(usage.prompt_tokens * rates[model]![0] + usage.completion_tokens * rates[model]![1]);
  const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  // Clients typed by each app's OpenAPI document; every response is checked against it too.
  const gateway = (userId: string, scopes: string[] = []) => gw.http.as(token(userId, scopes)).typed<GatewayPaths>();
  const ledgerApi = (userId: string) => ledger!.http.as(token(userId)).typed<LedgerPaths>();

  it('applies messages and adjustments from several users with exact totals everywhere', async () => {
    const users = [aUserId('ada'), aUserId('bob'), aUserId('cy')];
    const service = gateway('title-service', ['tokens:adjust']);
    for (const [u, user] of users.entries()) {
      const api = gateway(user);
      for (let c = 0; c < 2; c++) {
        const first = await api.post('/v1/chat/messages', { role: 'user', content: `question ${c}` });
        expect(first.status).toBe(201);
        const conversationId = first.body.conversation_id;
        bump(expected.messages, first.body.message_id, 0);
        bump(expected.conversations, conversationId, 0);
        bump(expected.counted, user, 1);
        for (let m = 0; m < 3; m++) {
          const usage = { prompt_tokens: 100 * (u + 1) + m, completion_tokens: 10 * (c + 1) + m };
          const model = m % 2 ? 'gpt-4o' : 'gpt-4o-mini';
          const res = await api.post(
            '/v1/conversations/{id}/messages',
            { role: 'assistant', content: 'answer', model, usage },
            { path: { id: conversationId } },
          );
          expect(res.status).toBe(201);
          bump(expected.cost, user, costOf(model, usage));
          const tokens = usage.prompt_tokens + usage.completion_tokens;
          bump(expected.users, user, tokens);
          bump(expected.conversations, conversationId, tokens);
          bump(expected.messages, res.body.message_id, tokens);
          bump(expected.counted, user, 1);
          if (m === 0) {
            const adj = await service.post('/v1/token-adjustments', {
              user_id: user,
              message_id: res.body.message_id,
              tokens_delta: -7,
              reason: 'refund',
              triggered_at: new Date().toISOString(),
            });
            expect(adj.status).toBe(202);
            bump(expected.users, user, -7);
            bump(expected.conversations, conversationId, -7);
            bump(expected.messages, res.body.message_id, -7);
            bump(expected.adjustments, user, -7);
            bump(expected.unpriced, user, 1); // an adjustment without a model has no price: unpriced, not free
          }
        }
        const title = await service.post('/v1/token-adjustments', {
          user_id: user,
          conversation_id: conversationId,
          tokens_delta: 33,
          reason: 'title_generation',
          triggered_at: new Date().toISOString(),
        });
        expect(title.status).toBe(202);
        bump(expected.users, user, 33);
        bump(expected.conversations, conversationId, 33);
        bump(expected.adjustments, user, 33);
        bump(expected.unpriced, user, 1);
      }
      const plain = await service.post('/v1/token-adjustments', {
        user_id: user,
        tokens_delta: 5,
        reason: 'correction',
        triggered_at: new Date().toISOString(),
      });
      expect(plain.status).toBe(202);
      bump(expected.users, user, 5);
      bump(expected.adjustments, user, 5);
      bump(expected.unpriced, user, 1);
    }

    await eventually(
      async () => {
        for (const [user, total] of expected.users) {
          const res = await ledgerApi(user).get('/v1/users/{user_id}/usage', { path: { user_id: user } });
          expect(res.body).toMatchObject({
            user_id: user,
            tokens_total: total,
            messages_counted: expected.counted.get(user),
            adjustments_total: expected.adjustments.get(user),
            cost_micros: expected.cost.get(user),
            unpriced_events: expected.unpriced.get(user),
          });
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    for (const [conversationId, total] of expected.conversations) {
      const owner = (await gw.db.query(`SELECT user_id FROM chat.conversations WHERE id = $1`, [conversationId])).rows[0].user_id;
      const path = { id: conversationId };
      await expect(ledgerApi(owner).get('/v1/conversations/{id}/usage', { path })).resolves.toMatchObject({ status: 200, body: { tokens_total: total } });
      await expect(gateway(owner).get('/v1/conversations/{id}', { path })).resolves.toMatchObject({ body: { tokens_total: total } });
      const history = await gateway(owner).get('/v1/conversations/{id}/messages', { path, query: { limit: 200 } });
      for (const message of history.body.list) {
        expect({ id: message.message_id, tokens: message.tokens_consumed, applied: message.ledger_applied }).toEqual({
          id: message.message_id,
          tokens: expected.messages.get(message.message_id),
          applied: true,
        });
      }
    }
    // Every event arrived in its user's sequence: nothing missing, nothing late.
    const { rows: anomalies } = await gw.db.query(`SELECT count(*)::int AS n FROM ledger.sequence_anomalies`);
    expect(anomalies[0].n).toBe(0);
    const { rows: sequences } = await gw.db.query(`SELECT user_id, last_seq::int FROM ledger.user_sequences ORDER BY user_id`);
    const { rows: written } = await gw.db.query(`SELECT partition_key AS user_id, count(*)::int AS last_seq FROM outbox.events GROUP BY 1 ORDER BY 1`);
    expect(sequences).toEqual(written);
  }, 90_000);

  it('rebuilds identical totals after emptying the ledger and replaying the whole outbox', async () => {
    const snapshot = async () => {
      const q = (sql: string) => gw.db.query(sql).then((r) => r.rows);
      return {
        users: await q(
          `SELECT user_id, tokens_total::text, messages_counted::text, adjustments_total::text, cost_micros::text, unpriced_events::text FROM ledger.user_totals ORDER BY 1`,
        ),
        conversations: await q(`SELECT conversation_id, tokens_total::text, cost_micros::text FROM ledger.conversation_totals ORDER BY 1`),
        messages: await q(`SELECT message_id, tokens_total::text, cost_micros::text FROM ledger.message_totals ORDER BY 1`),
        entries: await q(`SELECT event_id, tokens_delta::text, user_id, cost_micros::text FROM ledger.entries ORDER BY 1`),
      };
    };
    const before = await snapshot();
    expect(before.entries.length).toBeGreaterThan(0);

    await ledger!.close();
    ledger = undefined;
    await gw.db.query(`TRUNCATE ledger.entries, ledger.user_totals, ledger.conversation_totals, ledger.message_totals, ledger.usage_hourly`);
    ledger = await startLedgerApp();

    const replay = await gateway('operator', ['outbox:admin']).post('/v1/admin/outbox/replay', {});
    expect(replay.status).toBeLessThan(300);
    expect(replay.body.matched).toBe(before.entries.length);

    await eventually(async () => expect(await snapshot()).toEqual(before), { timeoutMs: 40_000, intervalMs: 250 });
  }, 90_000);
});
