import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUsageRecord, aUserId, createTestDatabase, createTestTopic, eventually, HttpClient, testKafkaBrokers } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';

/**
 * Usage records through the whole pipeline (gateway → outbox → relay → Kafka → ledger): a reporter syncs
 * revisions 1, 3, 2 and 3 again and the ledger counts revision 3; an emptied ledger rebuilt from an outbox
 * replay counts it again, also when the replay brings the revisions newest first, and replaying it all once
 * more changes nothing.
 */
describe('usage records end to end', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  let topic: string;
  let databaseUrl: string;
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp | undefined;
  // The ledger is restarted on another port: always ask the running one.
  const reader = (): HttpClient => ledger!.http.as(token('finance', ['usage:read_all', 'prices:admin']));
  const startLedgerApp = async () =>
    startLedger({ brokers: testKafkaBrokers(), databaseUrl, jwtSecret: secret, env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', ...TEST_KAFKA_ENV } });

  const user = aUserId('agent-owner');
  const externalId = `run-${randomBytes(4).toString('hex')}`;
  const u1 = { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 100 };
  const u2 = { prompt_tokens: 1500, completion_tokens: 300, cached_tokens: 200 };
  const u3 = { prompt_tokens: 1200, completion_tokens: 500, cached_tokens: 300, cache_write_tokens: 100, reasoning_tokens: 50 };
  // gpt-4o at 2.50 / 1.25 cached / 3.125 cache write / 10.00 output per 1M: 800 × 2.5 + 300 × 1.25 + 100 × 3.125 + 500 × 10 = 7687.5 → 7688
  const COST_3 = 7688;

  beforeAll(async () => {
    topic = await createTestTopic('usage_records', 4);
    databaseUrl = await createTestDatabase('usage_records_e2e');
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      env: { RELAY_ENABLED: 'true', KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', OUTBOX_POLL_INTERVAL: '200ms' },
    });
    ledger = await startLedgerApp();
    const price = await reader().put('/v1/admin/prices/gpt-4o', {
      effective_from: '2026-11-01T00:00:00Z',
      input_per_mtok: '2.50',
      cached_input_per_mtok: '1.25',
      cache_write_per_mtok: '3.125',
      output_per_mtok: '10.00',
    });
    expect(price.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  /** The ledger counts revision 3 of the record, and only it, for the user and the conversation. */
  const expectRevision3 = (conversationId: string) =>
    eventually(
      async () => {
        const totals = await reader().get(`/v1/users/${user}/usage`);
        expect(totals.body).toMatchObject({
          tokens_total: 1700,
          usage: { prompt_tokens: 1200, completion_tokens: 500, cached_tokens: 300, cache_write_tokens: 100, reasoning_tokens: 50, total_tokens: 1700 },
          cost_micros: COST_3,
        });
        const conversation = await reader().get(`/v1/conversations/${conversationId}/usage`);
        expect(conversation.body).toMatchObject({ tokens_total: 1700, cost_micros: COST_3 });
        const byReason = await reader().get(`/v1/usage/summary?group_by=reason&user_id=${user}&source=agents`);
        expect(byReason.body.groups).toEqual([expect.objectContaining({ reason: 'usage_record', tokens_delta: 1700, cost_micros: COST_3 })]);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

  let conversationId: string;

  it('revisions 1, 3, 2 and 3 again reach the ledger as revision 3', async () => {
    conversationId = (await gw.http.as(token(user)).post('/v1/conversations', {})).body.conversation_id;
    const agents = gw.http.as(token('agent-runner', ['usage:write']));
    const sync = (revision: number, usage: object) =>
      agents.put(
        `/v1/usage-records/agents/${externalId}`,
        aUsageRecord(user, { conversation_id: conversationId, usage, occurred_at: '2026-11-20T10:00:00Z', revision }),
      );
    expect((await sync(1, u1)).status).toBe(201);
    await eventually(async () => expect((await reader().get(`/v1/users/${user}/usage`)).body).toMatchObject({ tokens_total: 1200 }), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect((await sync(3, u3)).body).toMatchObject({ result: 'revised' });
    expect((await sync(2, u2)).body).toMatchObject({ result: 'stale' });
    expect((await sync(3, u3)).body).toMatchObject({ result: 'unchanged' });
    await expectRevision3(conversationId);
  }, 60_000);

  it('an emptied ledger rebuilt from an outbox replay counts revision 3 again, in order and newest first', async () => {
    const { rows: outbox } = await gw.db.query(`SELECT id::int FROM outbox.events WHERE event_type = 'ledger.usage.upserted' ORDER BY id`);
    expect(outbox).toHaveLength(2);
    const operator = gw.http.as(token('operator', ['outbox:admin']));
    const rebuild = async (replays: Array<Record<string, unknown>>) => {
      await ledger!.close();
      ledger = undefined;
      await gw.db.query(
        `TRUNCATE ledger.entries, ledger.user_totals, ledger.conversation_totals, ledger.message_totals, ledger.usage_hourly, ledger.usage_records`,
      );
      ledger = await startLedgerApp();
      for (const replay of replays) {
        const res = await operator.post('/v1/admin/outbox/replay', { event_types: ['ledger.usage.upserted'], ...replay });
        expect(res.body.matched).toBe(1);
        // One at a time, so the second really arrives after the first was applied.
        await eventually(
          async () =>
            expect((await gw.db.query(`SELECT count(*)::int AS n FROM ledger.entries WHERE external_id = $1`, [externalId])).rows[0].n).toBeGreaterThanOrEqual(
              replays.indexOf(replay) + 1,
            ),
          { timeoutMs: 30_000, intervalMs: 200 },
        );
      }
    };

    await rebuild([{ to_id: outbox[0]!.id }, { from_id: outbox[1]!.id }]);
    await expectRevision3(conversationId);

    // Newest first: revision 3 alone counts its full usage (not its delta to 1), and 1 after it counts nothing.
    await rebuild([{ from_id: outbox[1]!.id }, { to_id: outbox[0]!.id }]);
    await expectRevision3(conversationId);
    const { rows } = await gw.db.query(`SELECT revision::int, tokens_delta::int FROM ledger.entries WHERE external_id = $1 ORDER BY applied_at`, [externalId]);
    expect(rows).toEqual([
      { revision: 3, tokens_delta: 1700 },
      { revision: 1, tokens_delta: 0 },
    ]);

    // Replayed once more, whole: both are duplicates, nothing changes.
    const again = await operator.post('/v1/admin/outbox/replay', { event_types: ['ledger.usage.upserted'] });
    expect(again.body.matched).toBe(2);
    await eventually(async () => expect(await ledger!.metric('ledger_duplicates_skipped_total')).toBe(2), { timeoutMs: 30_000, intervalMs: 200 });
    await expectRevision3(conversationId);
  }, 120_000);
});
