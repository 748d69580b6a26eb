import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, aUserMessage, createTestDatabase, createTestTopic, eventually, testKafkaBrokers } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';

/**
 * A task's usage through the whole pipeline: reported once at completion (racing retries included), priced by
 * the ledger, attributed to the task, its kind, user and conversation, shown on the task, and unchanged by a
 * replay of the outbox.
 */
describe('tasks end to end', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    const topic = await createTestTopic('tasks', 4);
    const databaseUrl = await createTestDatabase('tasks');
    ledger = await startLedger({
      brokers: testKafkaBrokers(),
      databaseUrl,
      jwtSecret: secret,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', ...TEST_KAFKA_ENV },
    });
    gw = await startGateway({
      databaseUrl,
      jwtSecret: secret,
      env: { RELAY_ENABLED: 'true', OUTBOX_POLL_INTERVAL: '200ms', KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4' },
    });
    await ledger.http
      .as(token('finance', ['prices:admin']))
      .put('/v1/admin/prices/gpt-4o-mini', { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: '0.15', output_per_mtok: '0.60' });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ledger?.close();
  });

  it('a title-generation task completed three times counts its usage once, priced, under its kind and its conversation', async () => {
    const user = aUserId('tasked');
    const conversation = (await gw.http.as(token(user)).post('/v1/chat/messages', aUserMessage())).body.conversation_id;
    const worker = gw.http.as(token('title-worker', ['tasks:write']));
    const task = (
      await worker.post('/v1/tasks', { source: 'title-worker', external_id: 'title-1', kind: 'title_generation', user_id: user, conversation_id: conversation })
    ).body;
    await worker.patch(`/v1/tasks/${task.task_id}`, { status: 'running', progress: 50 });
    const completion = { outcome: 'succeeded', model: 'gpt-4o-mini', usage: { prompt_tokens: 2000, completion_tokens: 30 } };
    await Promise.all([1, 2, 3].map(() => worker.post(`/v1/tasks/${task.task_id}/complete`, completion)));

    // 2000 × 0.15 + 30 × 0.60 = 318 micro-USD.
    const mine = ledger.http.as(token(user));
    await eventually(async () => expect((await mine.get(`/v1/users/${user}/usage`)).body).toMatchObject({ tokens_total: 2030, cost_micros: 318 }), {
      timeoutMs: 20_000,
    });
    const byKind = await mine.get(`/v1/usage/summary?group_by=task_kind&user_id=${user}`);
    // The opening user message belongs to no task: its group is null.
    expect(byKind.body.groups).toEqual([
      expect.objectContaining({ task_kind: 'title_generation', tokens_delta: 2030, cost_micros: 318, events_count: 1 }),
      expect.objectContaining({ task_kind: null, tokens_delta: 0 }),
    ]);
    const ofTask = await mine.get(`/v1/usage/entries?task_id=${task.task_id}`);
    expect(ofTask.body.list).toEqual([
      expect.objectContaining({ reason: 'task', operation: 'title_generation', task_id: task.task_id, conversation_id: conversation, cost_micros: 318 }),
    ]);
    await expect(mine.get(`/v1/conversations/${conversation}/usage`)).resolves.toMatchObject({ body: { tokens_total: 2030 } });
    await expect(gw.http.as(token(user)).get(`/v1/tasks/${task.task_id}`)).resolves.toMatchObject({
      body: { status: 'succeeded', tokens: 2030, cost_micros: 318 },
    });

    // Usage the worker syncs for the task later (a usage record of source "tasks", named by the task id) is the task's too:
    // revision 2 replaces revision 1, and it is priced (+ 500 × 0.15 = 75).
    const reporter = gw.http.as(token('title-worker', ['usage:write']));
    const record = (revision: number, prompt: number) => ({
      user_id: user,
      model: 'gpt-4o-mini',
      usage: { prompt_tokens: prompt, completion_tokens: 0 },
      occurred_at: new Date().toISOString(),
      revision,
    });
    await expect(reporter.put(`/v1/usage-records/tasks/${task.task_id}`, record(1, 100))).resolves.toMatchObject({ status: 201 });
    await expect(reporter.put(`/v1/usage-records/tasks/${task.task_id}`, record(2, 500))).resolves.toMatchObject({ status: 200 });
    await expect(reporter.put(`/v1/usage-records/tasks/${task.task_id}`, { ...record(3, 5), user_id: aUserId('other') })).resolves.toMatchObject({
      status: 400,
    });
    await expect(reporter.put(`/v1/usage-records/tasks/not-a-task`, record(1, 5))).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'external_id' }] } },
    });
    await eventually(
      async () => expect((await gw.http.as(token(user)).get(`/v1/tasks/${task.task_id}`)).body).toMatchObject({ tokens: 2530, cost_micros: 393 }),
      { timeoutMs: 20_000 },
    );
    await expect(mine.get(`/v1/usage/summary?group_by=task_kind&user_id=${user}`)).resolves.toMatchObject({
      body: {
        groups: [
          expect.objectContaining({ task_kind: 'title_generation', tokens_delta: 2530, cost_micros: 393 }),
          expect.objectContaining({ task_kind: null }),
        ],
      },
    });

    // Replaying the outbox re-publishes the completion: nothing counts twice.
    await gw.http.as(token('ops', ['outbox:admin'])).post('/v1/admin/outbox/replay', { user_ids: [user] });
    await eventually(
      async () =>
        expect((await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1 AND status <> 'published'`, [user])).rows[0].n).toBe(
          0,
        ),
      { timeoutMs: 20_000 },
    );
    await expect(mine.get(`/v1/users/${user}/usage`)).resolves.toMatchObject({ body: { tokens_total: 2530, cost_micros: 393 } });
    await expect(gw.http.as(token(user)).get(`/v1/tasks/${task.task_id}`)).resolves.toMatchObject({ body: { tokens: 2530, cost_micros: 393 } });
  }, 60_000);
});
