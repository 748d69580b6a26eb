import { randomUUID } from 'node:crypto';
import { aUserId, aUserMessage, eventually, TcpFaultProxy } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

describe('tasks', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ env: { RATE_LIMIT_WRITES_BURST: '1000', TASK_STALL_AFTER: '2s', TASK_METADATA_MAX_BYTES: '200' } });
  });
  afterAll(() => gw.close());

  const worker = () => gw.http.as(gw.token('title-worker', ['tasks:write']));
  const reader = () => gw.http.as(gw.token('ops', ['tasks:read']));
  const aTask = (user: string, overrides: Record<string, unknown> = {}) => ({
    source: 'title-worker',
    external_id: `job-${randomUUID()}`,
    kind: 'title_generation',
    user_id: user,
    ...overrides,
  });
  const completions = (taskId: string) =>
    gw.db.query(`SELECT payload FROM outbox.events WHERE event_type = 'task.completed' AND payload->'data'->>'task_id' = $1`, [taskId]).then((r) => r.rows);

  it('is registered once per (source, external_id): the same body returns it, another body is a 409', async () => {
    const user = aUserId();
    const conversation = (await gw.http.as(gw.token(user)).post('/v1/chat/messages', aUserMessage())).body.conversation_id;
    const body = aTask(user, { conversation_id: conversation, client_id: 'worker-3', total_items: 10, metadata: { lang: 'fr' } });
    const created = await worker().post('/v1/tasks', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      task_id: expect.any(String),
      status: 'pending',
      progress: 0,
      kind: 'title_generation',
      user_id: user,
      stalled: false,
      tokens: 0,
    });
    await expect(worker().post('/v1/tasks', body)).resolves.toMatchObject({ status: 200, body: { task_id: created.body.task_id } });
    await expect(worker().post('/v1/tasks', { ...body, kind: 'summarisation' })).resolves.toMatchObject({
      status: 409,
      body: { error: { code: 'TASK_CONFLICT', details: [{ field: 'external_id' }] } },
    });
    // The owning user reads it; another user does not see it.
    await expect(gw.http.as(gw.token(user)).get(`/v1/tasks/${created.body.task_id}`)).resolves.toMatchObject({
      status: 200,
      body: { metadata: { lang: 'fr' } },
    });
    await expect(gw.http.as(gw.token(aUserId())).get(`/v1/tasks/${created.body.task_id}`)).resolves.toMatchObject({ status: 404 });
  });

  it('moves only forward, with progress that never decreases, and estimates its completion from its own rate', async () => {
    const task = (await worker().post('/v1/tasks', aTask(aUserId(), { total_items: 4 }))).body;
    const running = await worker().patch(`/v1/tasks/${task.task_id}`, { status: 'running', progress: 25, processed_items: 1 });
    expect(running.body).toMatchObject({
      status: 'running',
      progress: 25,
      processed_items: 1,
      started_at: expect.any(String),
      estimated_completion_at: expect.any(String),
    });
    expect(Date.parse(running.body.estimated_completion_at)).toBeGreaterThanOrEqual(Date.parse(running.body.started_at));
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { progress: 20 })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'progress', problem: 'must not decrease (it is 25)' }] } },
    });
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { processed_items: 5 })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'processed_items' }] } },
    });
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { progress: 101 })).resolves.toMatchObject({ status: 400 });
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { status: 'pending' })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'status' }] } },
    });
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { progress: 60 })).resolves.toMatchObject({ status: 200, body: { progress: 60 } });
    // Another source's worker may not touch it.
    await expect(gw.http.as(gw.token('other-worker', ['tasks:write'])).patch(`/v1/tasks/${task.task_id}`, { progress: 70 })).resolves.toMatchObject({
      status: 403,
    });
    await worker().post(`/v1/tasks/${task.task_id}/complete`, { outcome: 'succeeded' });
    await expect(worker().patch(`/v1/tasks/${task.task_id}`, { progress: 100 })).resolves.toMatchObject({
      status: 409,
      body: { error: { code: 'TASK_CONFLICT' } },
    });
  });

  it('racing heartbeats never move progress backwards: each is applied whole or refused', async () => {
    const task = (await worker().post('/v1/tasks', aTask(aUserId(), { total_items: 100 }))).body;
    const steps = [7, 3, 19, 11, 2, 17, 5, 13, 20, 1, 9, 15];
    const answers = await Promise.all(steps.map((p) => worker().patch(`/v1/tasks/${task.task_id}`, { progress: p * 5, processed_items: p * 5 })));
    // A heartbeat that loses a race to a higher one is a 400 naming the field, never a 5xx or a silent step back.
    for (const answer of answers) expect([200, 400]).toContain(answer.status);
    for (const answer of answers.filter((a) => a.status === 200)) expect(answer.body.progress).toBe(answer.body.processed_items);
    await expect(worker().get(`/v1/tasks/${task.task_id}`)).resolves.toMatchObject({ body: { status: 'running', progress: 100, processed_items: 100 } });
  });

  it('a worker completing the same task three times at once makes one completion and one task.completed event', async () => {
    const user = aUserId();
    const task = (await worker().post('/v1/tasks', aTask(user))).body;
    const completion = { outcome: 'succeeded', model: 'gpt-4o-mini', usage: { prompt_tokens: 400, completion_tokens: 12 } };
    const results = await Promise.all([1, 2, 3].map(() => worker().post(`/v1/tasks/${task.task_id}/complete`, completion)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    expect(results[0]!.body).toMatchObject({ status: 'succeeded', progress: 100, usage: { total_tokens: 412 }, completed_at: expect.any(String) });
    const events = await completions(task.task_id);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({
      type: 'task.completed',
      version: 2,
      data: {
        task_id: task.task_id,
        kind: 'title_generation',
        user_id: user,
        outcome: 'succeeded',
        model: 'gpt-4o-mini',
        tokens_delta: 412,
        usage: { prompt_tokens: 400, completion_tokens: 12, total_tokens: 412 },
      },
    });
    // A different result for a completed task changes nothing.
    await expect(worker().post(`/v1/tasks/${task.task_id}/complete`, { outcome: 'failed', error: 'late' })).resolves.toMatchObject({
      status: 409,
      body: { error: { code: 'TASK_CONFLICT' } },
    });
    await expect(
      worker().post(`/v1/tasks/${task.task_id}/complete`, { ...completion, usage: { prompt_tokens: 401, completion_tokens: 12 } }),
    ).resolves.toMatchObject({ status: 409 });
    await expect(completions(task.task_id)).resolves.toHaveLength(1);
  });

  it('a task without heartbeats shows as stalled; an operator may fail it, a plain reader may not', async () => {
    const user = aUserId('stall');
    const live = (await worker().post('/v1/tasks', aTask(user, { kind: 'indexing' }))).body;
    const quiet = (await worker().post('/v1/tasks', aTask(user, { kind: 'indexing' }))).body;
    await worker().patch(`/v1/tasks/${quiet.task_id}`, { status: 'running', progress: 10 });
    // Its last heartbeat was longer ago than TASK_STALL_AFTER (2 s).
    await gw.db.query(`UPDATE chat.tasks SET last_update_at = now() - interval '3 seconds' WHERE id = $1`, [quiet.task_id]);
    await worker().patch(`/v1/tasks/${live.task_id}`, { status: 'running', progress: 50 });

    const list = await reader().get(`/v1/tasks/running?user_id=${user}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total_tasks: 2, by_status: { running: 2 }, by_kind: { indexing: 2 }, next_cursor: null });
    expect(Object.fromEntries(list.body.tasks.map((t: { task_id: string; stalled: boolean }) => [t.task_id, t.stalled]))).toEqual({
      [quiet.task_id]: true,
      [live.task_id]: false,
    });
    await expect(reader().get(`/v1/tasks/running?user_id=${user}&stalled=true`)).resolves.toMatchObject({
      body: { total_tasks: 1, tasks: [{ task_id: quiet.task_id }] },
    });
    const metrics = await gw.http.get('/metrics');
    expect(metrics.body).toMatch(/^chat_tasks_stalled [1-9]\d*$/m);

    await expect(reader().post(`/v1/tasks/${quiet.task_id}/complete`, { outcome: 'failed' })).resolves.toMatchObject({ status: 403 });
    const operator = gw.http.as(gw.token('night-ops', ['tasks:admin']));
    await expect(operator.post(`/v1/tasks/${quiet.task_id}/complete`, { outcome: 'succeeded' })).resolves.toMatchObject({ status: 403 });
    await expect(operator.post(`/v1/tasks/${quiet.task_id}/complete`, { outcome: 'failed', error: 'stalled: no heartbeat' })).resolves.toMatchObject({
      status: 200,
      body: { status: 'failed' },
    });
    const { rows } = await gw.db.query(`SELECT completed_by FROM chat.tasks WHERE id = $1`, [quiet.task_id]);
    expect(rows[0].completed_by).toBe('night-ops');
    await expect(reader().get(`/v1/tasks/running?user_id=${user}`)).resolves.toMatchObject({ body: { total_tasks: 1 } });
  });

  it('pages the running list by each sort with a keyset cursor', async () => {
    const user = aUserId('pages');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = (await worker().post('/v1/tasks', aTask(user, { kind: 'agent_run' }))).body;
      await worker().patch(`/v1/tasks/${t.task_id}`, { progress: [40, 10, 90, 10, 70][i] });
      ids.push(t.task_id);
    }
    for (const sort of ['-started_at', 'started_at', '-last_update_at', 'progress']) {
      const seen: Array<{ task_id: string; progress: number }> = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: any } = await reader().get(
          `/v1/tasks/running?user_id=${user}&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.tasks);
        cursor = page.body.next_cursor;
      } while (cursor);
      expect({ sort, ids: [...seen.map((t) => t.task_id)].sort() }).toEqual({ sort, ids: [...ids].sort() });
      if (sort === 'progress') expect(seen.map((t) => t.progress)).toEqual([10, 10, 40, 70, 90]);
      if (sort === 'started_at') expect(seen.map((t) => t.task_id)).toEqual(ids);
      if (sort === '-started_at') expect(seen.map((t) => t.task_id)).toEqual([...ids].reverse());
    }
    const first = (await reader().get(`/v1/tasks/running?user_id=${user}&sort=progress&limit=1`)).body.next_cursor;
    await expect(reader().get(`/v1/tasks/running?user_id=${user}&sort=started_at&cursor=${first}`)).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'cursor' }] } },
    });
  });

  it('refuses bad input with the field named, and writes nothing', async () => {
    const user = aUserId('bad');
    const before = (await gw.db.query(`SELECT count(*)::int AS n FROM chat.tasks`)).rows[0].n;
    const cases: Array<[Record<string, unknown>, string]> = [
      [aTask(user, { kind: 'k'.repeat(65) }), 'kind'],
      [aTask(user, { kind: 'Title Generation' }), 'kind'],
      [aTask(user, { source: '' }), 'source'],
      [aTask(user, { external_id: 'has space' }), 'external_id'],
      [aTask(user, { user_id: 'a b' }), 'user_id'],
      [aTask(user, { conversation_id: randomUUID() }), 'conversation_id'],
      [aTask(user, { total_items: -1 }), 'total_items'],
      [aTask(user, { metadata: { blob: 'x'.repeat(300) } }), 'metadata'],
      [aTask(user, { metadata: 'text' }), 'metadata'],
      [aTask(user, { extra: true }), 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await worker().post('/v1/tasks', body);
      expect({ field, status: res.status, fields: res.body.error?.details?.map((d: { field: string }) => d.field) }).toEqual({
        field,
        status: 400,
        fields: expect.arrayContaining([field]),
      });
    }
    await expect(gw.db.query(`SELECT count(*)::int AS n FROM chat.tasks`).then((r) => r.rows[0].n)).resolves.toBe(before);
    const task = (await worker().post('/v1/tasks', aTask(user))).body;
    await expect(worker().post(`/v1/tasks/${task.task_id}/complete`, { outcome: 'done' })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'outcome' }] } },
    });
    await expect(
      worker().post(`/v1/tasks/${task.task_id}/complete`, { outcome: 'succeeded', usage: { prompt_tokens: -1, completion_tokens: 0 } }),
    ).resolves.toMatchObject({ status: 400 });
    await expect(worker().post('/v1/tasks/not-a-uuid/complete', { outcome: 'succeeded' })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'task_id' }] } },
    });
    await expect(worker().post(`/v1/tasks/${randomUUID()}/complete`, { outcome: 'succeeded' })).resolves.toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_NOT_FOUND' } },
    });
    for (const query of ['sort=name', 'status=succeeded', 'stalled=maybe', 'limit=0', `cursor=${Buffer.from('["progress",101,"x"]').toString('base64url')}`]) {
      await expect(reader().get(`/v1/tasks/running?${query}`)).resolves.toMatchObject({ status: 400 });
    }
    await expect(gw.http.as(gw.token(user)).get('/v1/tasks/running')).resolves.toMatchObject({ status: 403 });
    await expect(gw.http.as(gw.token(user)).post('/v1/tasks', aTask(user))).resolves.toMatchObject({ status: 403 });
    await expect(completions(task.task_id)).resolves.toHaveLength(0);
  });

  it('answers 503 DATABASE_UNAVAILABLE while the database is unreachable, and /health/ready says so', async () => {
    const direct = new URL(gw.databaseUrl);
    const proxy = await TcpFaultProxy.listen({ target: `${direct.hostname}:${direct.port}` });
    const viaProxy = new URL(gw.databaseUrl);
    viaProxy.host = proxy.address;
    const cut = await startGateway({ databaseUrl: viaProxy.toString(), env: { DB_MIGRATE: 'false' } });
    cut.db.on('error', () => undefined); // the test's own client goes through the proxy too and is reset with it
    try {
      const api = cut.http.as(cut.token('title-worker', ['tasks:write']));
      await expect(api.post('/v1/tasks', aTask(aUserId()))).resolves.toMatchObject({ status: 201 });
      await proxy.cut();
      const refused = await api.post('/v1/tasks', aTask(aUserId()));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', message: expect.stringContaining('nothing was written') });
      expect(refused.headers.get('retry-after')).toBe('5');
      await expect(cut.http.get('/health/ready')).resolves.toMatchObject({ status: 503 });
      await proxy.restore();
      await eventually(async () => expect((await api.post('/v1/tasks', aTask(aUserId()))).status).toBe(201), { timeoutMs: 15_000 });
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});
