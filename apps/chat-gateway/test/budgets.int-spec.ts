import { DataSource } from 'typeorm';
import { aUserId, anAdjustment, anAssistantMessage, aUsageRecord, aUserMessage } from '@chat-ledger/testing';
import { BudgetsRepository } from '../src/budgets/budgets.repository';
import { GatewayTestApp, startGateway } from './gateway-test-app';

// Budgets on the gateway alone (no ledger schema in this database): spend is what the outbox holds, which is
// exactly what a check must see of events the ledger has not applied yet.

describe('budgets', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ env: { RATE_LIMIT_WRITES_BURST: '1000' } });
  });
  afterAll(() => gw.close());

  const admin = () => gw.http.as(gw.token('ops', ['budgets:admin']));
  const service = () => gw.http.as(gw.token('title-service', ['tokens:adjust']));
  const aBudget = (overrides: Record<string, unknown> = {}) => ({ period: 'day', tz: 'UTC', limit_tokens: 1000, mode: 'hard', ...overrides });
  const count = async (sql: string, params: unknown[] = []) => (await gw.db.query(sql, params)).rows[0].n as number;

  it('a user at a hard token budget cannot start a round, while the round in progress still counts in full', async () => {
    const user = aUserId();
    const api = gw.http.as(gw.token(user));
    await expect(admin().put(`/v1/admin/users/${user}/budget`, aBudget())).resolves.toMatchObject({ status: 200 });

    const question = await api.post('/v1/chat/messages', aUserMessage());
    expect(question.status).toBe(201);
    const conversation = question.body.conversation_id;
    // What has been spent is never refused: the answer and the title generation pass the limit and are recorded.
    await expect(
      api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: 600, completion_tokens: 500 })),
    ).resolves.toMatchObject({ status: 201 });
    await expect(service().post('/v1/token-adjustments', anAdjustment(user, { conversation_id: conversation, tokens_delta: 50 }))).resolves.toMatchObject({
      status: 202,
    });

    const messagesBefore = await count(`SELECT count(*)::int AS n FROM chat.messages WHERE user_id = $1`, [user]);
    const outboxBefore = await count(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1`, [user]);
    const refused = await api.post(`/v1/conversations/${conversation}/messages`, aUserMessage({ content: 'And of Italy?' }));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: [{ field: 'limit_tokens', problem: expect.stringContaining('used 1150') }],
      budget: { used_tokens: 1150, limit_tokens: 1000, remaining_tokens: 0, period: 'day', mode: 'hard' },
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // A refused round writes nothing, not even a new conversation.
    await expect(api.post('/v1/chat/messages', aUserMessage())).resolves.toMatchObject({ status: 429 });
    await expect(count(`SELECT count(*)::int AS n FROM chat.messages WHERE user_id = $1`, [user])).resolves.toBe(messagesBefore);
    await expect(count(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1`, [user])).resolves.toBe(outboxBefore);
    await expect(count(`SELECT count(*)::int AS n FROM chat.conversations WHERE user_id = $1`, [user])).resolves.toBe(1);
    // Assistant messages are still recorded over the limit.
    await expect(api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: 1, completion_tokens: 1 }))).resolves.toMatchObject(
      { status: 201 },
    );

    const budget = await api.get(`/v1/users/${user}/budget`);
    expect(budget.status).toBe(200);
    expect(budget.body).toMatchObject({ used_tokens: 1152, remaining_tokens: 0, reserved_tokens: 0, resets_at: budget.body.period_end });

    // Raising the limit lets rounds start again; a soft budget never refuses.
    await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ limit_tokens: 100, mode: 'soft' }));
    await expect(api.post(`/v1/conversations/${conversation}/messages`, aUserMessage())).resolves.toMatchObject({ status: 201 });
    await expect(admin().delete(`/v1/admin/users/${user}/budget`)).resolves.toMatchObject({ status: 204 });
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ status: 404, body: { error: { code: 'BUDGET_NOT_FOUND' } } });
    const audit = await gw.db.query(`SELECT action, actor FROM chat.budget_changes WHERE user_id = $1 ORDER BY at`, [user]);
    expect(audit.rows).toEqual([
      { action: 'put', actor: 'ops' },
      { action: 'put', actor: 'ops' },
      { action: 'delete', actor: 'ops' },
    ]);
  });

  it('50 parallel rounds against a budget that holds 10 reservations admit exactly 10', async () => {
    const user = aUserId();
    const api = gw.http.as(gw.token(user));
    await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ limit_tokens: 10_000, round_reservation_tokens: 1000 }));

    const results = await Promise.all(Array.from({ length: 50 }, () => api.post('/v1/chat/messages', aUserMessage())));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_tokens: 0, reserved_tokens: 10_000, remaining_tokens: 0 } });

    // The round's answer settles its reservation: actual usage replaces it and room comes back.
    const admitted = results.find((r) => r.status === 201)!.body;
    await api.post(`/v1/conversations/${admitted.conversation_id}/messages`, anAssistantMessage({ prompt_tokens: 300, completion_tokens: 200 }));
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_tokens: 500, reserved_tokens: 9000, remaining_tokens: 500 } });
    // max_tokens reserves what the request says instead of the default: 500 fit, 501 would not.
    await expect(api.post('/v1/chat/messages', aUserMessage({ max_tokens: 501 }))).resolves.toMatchObject({ status: 429 });
    await expect(api.post('/v1/chat/messages', aUserMessage({ max_tokens: 500 }))).resolves.toMatchObject({ status: 201 });
  });

  it('usage reported by other systems counts while it waits: a usage record by the difference its revision makes, a task by its usage', async () => {
    const user = aUserId();
    const api = gw.http.as(gw.token(user));
    await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ limit_tokens: 2000 }));
    const reporter = gw.http.as(gw.token('agents', ['usage:write']));
    const now = new Date().toISOString();
    const record = (revision: number, prompt: number) =>
      aUsageRecord(user, { revision, occurred_at: now, usage: { prompt_tokens: prompt, completion_tokens: 0 } });
    await expect(reporter.put('/v1/usage-records/agents/run-1', record(1, 600))).resolves.toMatchObject({ status: 201 });
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_tokens: 600 } });
    // A corrected revision replaces the first: 900 in all, not 1500.
    await reporter.put('/v1/usage-records/agents/run-1', record(2, 900));
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_tokens: 900 } });
    const worker = gw.http.as(gw.token('summariser', ['tasks:write']));
    const task = (await worker.post('/v1/tasks', { source: 'summariser', external_id: `s-${user}`, kind: 'summarisation', user_id: user })).body;
    await worker.post(`/v1/tasks/${task.task_id}/complete`, { outcome: 'succeeded', usage: { prompt_tokens: 1100, completion_tokens: 0 } });
    await expect(api.get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ body: { used_tokens: 2000, remaining_tokens: 0 } });
    await expect(api.post('/v1/chat/messages', aUserMessage())).resolves.toMatchObject({ status: 429 });
    const { rows } = await gw.db.query(
      `SELECT (payload->'data'->>'threshold_percent')::int AS t FROM outbox.events WHERE partition_key = $1 AND event_type = 'ledger.budget.threshold_crossed' ORDER BY id`,
      [user],
    );
    expect(rows.map((r: { t: number }) => r.t)).toEqual([80, 100]);
  });

  it('unsettled reservations expire', async () => {
    const short = await startGateway({ databaseUrl: gw.databaseUrl, env: { BUDGET_RESERVATION_TTL: '1s' } });
    try {
      const user = aUserId();
      const api = short.http.as(short.token(user));
      await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ limit_tokens: 1000, round_reservation_tokens: 1000 }));
      await expect(api.post('/v1/chat/messages', aUserMessage())).resolves.toMatchObject({ status: 201 });
      const full = await api.post('/v1/chat/messages', aUserMessage());
      expect(full.status).toBe(429);
      // The reservation is what blocks, so the client is told to come back when it expires, not at midnight.
      expect(Number(full.headers.get('retry-after'))).toBeLessThanOrEqual(1);
      await gw.db.query(`UPDATE chat.budget_reservations SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [user]);
      await expect(api.post('/v1/chat/messages', aUserMessage())).resolves.toMatchObject({ status: 201 });
    } finally {
      await short.close();
    }
  });

  it('periods start at local midnight: Asia/Kolkata (+05:30), Asia/Kathmandu (+05:45), Europe/Berlin on both DST days', async () => {
    const user = aUserId();
    const repository = gw.app.get(BudgetsRepository);
    const period = async (tz: string, at: string, p = 'day') => {
      await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ tz, period: p }));
      const s = (await repository.state(gw.app.get(DataSource).manager, 'user', user, at))!;
      return [s.period_start, s.period_end, s.period_start_local, s.period_end_local];
    };
    await expect(period('Asia/Kolkata', '2026-12-02T18:29:59Z')).resolves.toEqual([
      '2026-12-01T18:30:00.000000Z',
      '2026-12-02T18:30:00.000000Z',
      '2026-12-02T00:00:00+05:30',
      '2026-12-03T00:00:00+05:30',
    ]);
    await expect(period('Asia/Kolkata', '2026-12-02T18:30:00Z')).resolves.toEqual([
      '2026-12-02T18:30:00.000000Z',
      '2026-12-03T18:30:00.000000Z',
      '2026-12-03T00:00:00+05:30',
      '2026-12-04T00:00:00+05:30',
    ]);
    await expect(period('Asia/Kathmandu', '2026-12-02T12:00:00Z')).resolves.toEqual([
      '2026-12-01T18:15:00.000000Z',
      '2026-12-02T18:15:00.000000Z',
      '2026-12-02T00:00:00+05:45',
      '2026-12-03T00:00:00+05:45',
    ]);
    // 29 March 2026 has 23 hours in Berlin, 25 October 25.
    await expect(period('Europe/Berlin', '2026-03-29T12:00:00Z')).resolves.toEqual([
      '2026-03-28T23:00:00.000000Z',
      '2026-03-29T22:00:00.000000Z',
      '2026-03-29T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ]);
    await expect(period('Europe/Berlin', '2026-10-25T12:00:00Z')).resolves.toEqual([
      '2026-10-24T22:00:00.000000Z',
      '2026-10-25T23:00:00.000000Z',
      '2026-10-25T00:00:00+02:00',
      '2026-10-26T00:00:00+01:00',
    ]);
    // A week starts on Monday, a month on its first day, both at local midnight.
    await expect(period('Europe/Berlin', '2026-03-29T12:00:00Z', 'week')).resolves.toEqual([
      '2026-03-22T23:00:00.000000Z',
      '2026-03-29T22:00:00.000000Z',
      '2026-03-23T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
    ]);
    await expect(period('Asia/Kolkata', '2026-12-02T12:00:00Z', 'month')).resolves.toEqual([
      '2026-11-30T18:30:00.000000Z',
      '2026-12-31T18:30:00.000000Z',
      '2026-12-01T00:00:00+05:30',
      '2027-01-01T00:00:00+05:30',
    ]);

    // Through the API: the current Kolkata day, whatever the time of the run.
    await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ tz: 'Asia/Kolkata' }));
    const now = new Date();
    const localDate = new Date(now.getTime() + 330 * 60_000).toISOString().slice(0, 10);
    const start = new Date(Date.parse(`${localDate}T00:00:00Z`) - 330 * 60_000);
    await expect(gw.http.as(gw.token(user)).get(`/v1/users/${user}/budget`)).resolves.toMatchObject({
      body: { period_start: `${start.toISOString().slice(0, 19)}.000000Z`, period_start_local: `${localDate}T00:00:00+05:30` },
    });
  });

  it('publishes a threshold event once per threshold and period, in the transaction that crosses it', async () => {
    const user = aUserId();
    const api = gw.http.as(gw.token(user));
    await admin().put(`/v1/admin/users/${user}/budget`, aBudget({ limit_tokens: 1000, mode: 'soft' }));
    const conversation = (await api.post('/v1/chat/messages', aUserMessage())).body.conversation_id;
    const answer = (tokens: number) =>
      api.post(`/v1/conversations/${conversation}/messages`, anAssistantMessage({ prompt_tokens: tokens, completion_tokens: 0 }));
    const thresholds = async () =>
      (
        await gw.db.query(
          `SELECT payload->'data'->>'metric' AS metric, (payload->'data'->>'threshold_percent')::int AS threshold, (payload->'data'->>'used')::int AS used
             FROM outbox.events WHERE partition_key = $1 AND event_type = 'ledger.budget.threshold_crossed' ORDER BY id`,
          [user],
        )
      ).rows;
    await answer(500);
    await expect(thresholds()).resolves.toEqual([]);
    await answer(350);
    await expect(thresholds()).resolves.toEqual([{ metric: 'tokens', threshold: 80, used: 850 }]);
    await answer(100);
    await service().post('/v1/token-adjustments', anAdjustment(user, { tokens_delta: 100 }));
    await answer(100);
    await expect(thresholds()).resolves.toEqual([
      { metric: 'tokens', threshold: 80, used: 850 },
      { metric: 'tokens', threshold: 100, used: 1050 },
    ]);
    const [event] = (
      await gw.db.query(`SELECT payload FROM outbox.events WHERE partition_key = $1 AND event_type = 'ledger.budget.threshold_crossed' ORDER BY id LIMIT 1`, [
        user,
      ])
    ).rows;
    expect(event.payload).toMatchObject({
      type: 'ledger.budget.threshold_crossed',
      version: 1,
      user_seq: expect.any(Number),
      data: { user_id: user, limit: 1000, period: 'day', tz: 'UTC', mode: 'soft' },
    });
  });

  it('refuses bad budgets with the field named, and writes nothing', async () => {
    const user = aUserId();
    const cases: Array<[Record<string, unknown>, string]> = [
      [aBudget({ tz: 'Mars/Olympus' }), 'tz'],
      [aBudget({ tz: 'Europe/Berlin; DROP' }), 'tz'],
      [aBudget({ period: 'year' }), 'period'],
      [aBudget({ mode: 'strict' }), 'mode'],
      [aBudget({ limit_tokens: -1 }), 'limit_tokens'],
      [aBudget({ limit_tokens: 1.5 }), 'limit_tokens'],
      [aBudget({ limit_cost_micros: '5' }), 'limit_cost_micros'],
      [aBudget({ limit_tokens: undefined }), 'limit_tokens'],
      [aBudget({ round_reservation_tokens: -5 }), 'round_reservation_tokens'],
      [aBudget({ extra: 1 }), 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await admin().put(`/v1/admin/users/${user}/budget`, body);
      expect({ field, status: res.status, fields: res.body.error?.details?.map((d: { field: string }) => d.field) }).toEqual({
        field,
        status: 400,
        fields: expect.arrayContaining([field]),
      });
    }
    await expect(admin().put('/v1/admin/users/a%20b/budget', aBudget())).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'user_id' }] } },
    });
    await expect(gw.http.as(gw.token(user)).put(`/v1/admin/users/${user}/budget`, aBudget())).resolves.toMatchObject({ status: 403 });
    await expect(gw.http.as(gw.token(aUserId())).get(`/v1/users/${user}/budget`)).resolves.toMatchObject({ status: 403 });
    await expect(gw.http.as(gw.token(user)).post('/v1/chat/messages', aUserMessage({ max_tokens: 0 }))).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'max_tokens' }] } },
    });
    await expect(count(`SELECT count(*)::int AS n FROM chat.budgets WHERE user_id = $1`, [user])).resolves.toBe(0);
    await expect(count(`SELECT count(*)::int AS n FROM chat.budget_changes WHERE user_id = $1`, [user])).resolves.toBe(0);
  });
});
