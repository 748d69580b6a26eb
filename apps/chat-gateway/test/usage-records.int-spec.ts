import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { decodeTokenEvent } from '@chat-ledger/contracts';
import { aUsageRecord, aUserId, errorOf, HttpClient } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';
import type { paths } from './openapi';

const RECORD = '/v1/usage-records/{source}/{external_id}' as const;
type UpsertBody = paths[typeof RECORD]['put']['requestBody']['content']['application/json'];

const full = (u: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number; cache_write_tokens?: number; reasoning_tokens?: number }) => ({
  cached_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  ...u,
  total_tokens: u.prompt_tokens + u.completion_tokens,
});

describe('usage records (PUT /v1/usage-records/:source/:external_id)', () => {
  let gw: GatewayTestApp;
  let agents: HttpClient;
  beforeAll(async () => {
    gw = await startGateway({ env: { RATE_LIMIT_WRITES_PER_SECOND: '0' } });
    agents = gw.http.as(gw.token('agent-runner', ['usage:write']));
  });
  afterAll(() => gw.close());

  const anExternalId = () => `run-${randomUUID().slice(0, 8)}`;
  /** Untyped, for paths and bodies the document does not allow. */
  const path = (externalId: string, source = 'agents') => `/v1/usage-records/${source}/${externalId}`;
  /** Typed by the gateway's OpenAPI document; every response is checked against it at run time. */
  const typed = (scopes: string[]) => gw.http.as(gw.token('agent-runner', scopes)).typed<paths>();
  const sync = (externalId: string, body: Record<string, unknown>) =>
    typed(['usage:write']).put(RECORD, body as UpsertBody, { path: { source: 'agents', external_id: externalId } });
  const read = (externalId: string, source = 'agents', scopes = ['usage:write']) => typed(scopes).get(RECORD, { path: { source, external_id: externalId } });
  const eventsOf = async (externalId: string) =>
    (await gw.db.query(`SELECT partition_key, payload FROM outbox.events WHERE payload->'data'->>'external_id' = $1 ORDER BY id`, [externalId])).rows;
  const counts = async () =>
    (
      await gw.db.query(`SELECT (SELECT count(*)::int FROM outbox.events) AS outbox, (SELECT count(*)::int FROM chat.usage_records) AS records,
                               (SELECT count(*)::int FROM chat.usage_record_revisions) AS revisions`)
    ).rows[0];

  const u1 = { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 100 };
  const u2 = { prompt_tokens: 1500, completion_tokens: 300, cached_tokens: 200 };
  const u3 = { prompt_tokens: 1200, completion_tokens: 500, cached_tokens: 300, cache_write_tokens: 100, reasoning_tokens: 50 };

  it('revisions 1, 3, 2 and 3 again: the record counts 3, and two events carry it (1 in full, 3 as the difference to 1)', async () => {
    const user = aUserId();
    const id = anExternalId();

    const first = await sync(id, aUsageRecord(user, { revision: 1, usage: u1 }));
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      source: 'agents',
      external_id: id,
      user_id: user,
      conversation_id: null,
      model: 'gpt-4o',
      channel: null,
      operation: 'agent_step',
      org_id: null,
      project_id: null,
      api_key_id: null,
      revision: 1,
      occurred_at: '2026-11-20T09:00:00.123456Z',
      usage: full(u1),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      result: 'created',
      changed: true,
      event_id: expect.any(String),
    });

    const third = await sync(id, aUsageRecord(user, { revision: 3, usage: u3, occurred_at: '2026-11-20T11:30:00Z' }));
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ revision: 3, usage: full(u3), occurred_at: '2026-11-20T11:30:00.000000Z', result: 'revised', changed: true });

    const lateSecond = await sync(id, aUsageRecord(user, { revision: 2, usage: u2 }));
    expect(lateSecond.status).toBe(200);
    expect(lateSecond.body).toMatchObject({ revision: 3, usage: full(u3), result: 'stale', changed: false, event_id: null });

    const thirdAgain = await sync(id, aUsageRecord(user, { revision: 3, usage: u3, occurred_at: '2026-11-20T12:30:00+01:00' }));
    expect(thirdAgain.status).toBe(200);
    expect(thirdAgain.body).toEqual({ ...third.body, result: 'unchanged', changed: false });

    const events = await eventsOf(id);
    expect(events).toHaveLength(2);
    const delta31 = { prompt_tokens: 200, completion_tokens: 300, cached_tokens: 200, cache_write_tokens: 100, reasoning_tokens: 50, total_tokens: 500 };
    expect(events.map((e) => [e.partition_key, e.payload.id, e.payload.type, e.payload.version, e.payload.occurred_at, e.payload.data])).toEqual([
      [
        user,
        first.body.event_id,
        'ledger.usage.upserted',
        2,
        '2026-11-20T09:00:00.123456Z',
        {
          user_id: user,
          conversation_id: null,
          source: 'agents',
          external_id: id,
          revision: 1,
          previous_revision: null,
          model: 'gpt-4o',
          channel: null,
          operation: 'agent_step',
          usage: full(u1),
          delta: full(u1),
          org_id: null,
          project_id: null,
          api_key_id: null,
        },
      ],
      [
        user,
        third.body.event_id,
        'ledger.usage.upserted',
        2,
        '2026-11-20T11:30:00.000000Z',
        {
          user_id: user,
          conversation_id: null,
          source: 'agents',
          external_id: id,
          revision: 3,
          previous_revision: 1,
          model: 'gpt-4o',
          channel: null,
          operation: 'agent_step',
          usage: full(u3),
          delta: delta31,
          org_id: null,
          project_id: null,
          api_key_id: null,
        },
      ],
    ]);
    // What the gateway writes is what the ledger accepts.
    for (const e of events) expect(decodeTokenEvent(JSON.stringify(e.payload))).toMatchObject({ ok: true });

    const shown = await read(id, 'agents', ['usage:read_all']);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      ...third.body,
      result: undefined,
      changed: undefined,
      event_id: undefined,
      history: [
        {
          revision: 1,
          previous_revision: null,
          occurred_at: '2026-11-20T09:00:00.123456Z',
          usage: full(u1),
          delta: full(u1),
          event_id: first.body.event_id,
          received_at: expect.any(String),
        },
        {
          revision: 3,
          previous_revision: 1,
          occurred_at: '2026-11-20T11:30:00.000000Z',
          usage: full(u3),
          delta: delta31,
          event_id: third.body.event_id,
          received_at: expect.any(String),
        },
      ],
    });
    await expect(read(id)).resolves.toMatchObject({ status: 200, body: { revision: 3 } });
  });

  it('the same body twice (also written differently: total given, the same instant at another offset) is a no-op', async () => {
    const user = aUserId();
    const id = anExternalId();
    const body = aUsageRecord(user);
    expect((await sync(id, body)).status).toBe(201);
    const before = await counts();

    const again = await sync(id, body);
    const sameMeaning = await sync(id, {
      ...body,
      usage: { ...u1, total_tokens: 1200, reasoning_tokens: 0 },
      occurred_at: '2026-11-20T09:00:00.123456Z',
    });

    for (const res of [again, sameMeaning]) expect(res).toMatchObject({ status: 200, body: { revision: 1, result: 'unchanged', changed: false } });
    expect(again.body.event_id).toBe((await eventsOf(id))[0].payload.id);
    await expect(counts()).resolves.toEqual(before);
  });

  it('the same revision with other numbers, or a later one naming another user or model, is a 409 that writes nothing', async () => {
    const user = aUserId();
    const id = anExternalId();
    expect((await sync(id, aUsageRecord(user))).status).toBe(201);
    expect((await sync(id, aUsageRecord(user, { revision: 2, usage: u2 }))).status).toBe(200);
    const before = await counts();

    const otherNumbers = await sync(id, aUsageRecord(user, { usage: { ...u1, prompt_tokens: 1001 } }));
    expect(otherNumbers.status).toBe(409);
    expect(errorOf(otherNumbers)).toEqual({
      code: 'USAGE_RECORD_CONFLICT',
      message: expect.stringContaining('revision 1'),
      details: [
        { field: 'usage.prompt_tokens', problem: expect.stringContaining('revision 1 was accepted with 1000') },
        { field: 'usage.total_tokens', problem: expect.any(String) },
      ],
    });
    const otherTime = await sync(id, aUsageRecord(user, { revision: 2, usage: u2, occurred_at: '2026-11-20T10:00:00.123457+01:00' }));
    expect(otherTime).toMatchObject({ status: 409, body: { error: { details: [{ field: 'occurred_at' }] } } });
    const otherUser = await sync(id, aUsageRecord(aUserId(), { revision: 3, usage: u3 }));
    expect(otherUser).toMatchObject({ status: 409, body: { error: { code: 'USAGE_RECORD_CONFLICT', details: [{ field: 'user_id' }] } } });
    const otherModel = await sync(id, aUsageRecord(user, { revision: 3, usage: u3, model: 'gpt-4o-mini', channel: 'api' }));
    expect(errorOf(otherModel).details.map((d) => d.field)).toEqual(['model', 'channel']);

    await expect(counts()).resolves.toEqual(before);
    await expect(read(id)).resolves.toMatchObject({ body: { revision: 2, usage: full(u2) } });
  });

  describe('bad input is a 400 naming the field, and writes nothing', () => {
    const owner = aUserId('owner');
    let othersConversation: string;
    beforeAll(async () => {
      othersConversation = (await gw.http.as(gw.token(aUserId('other'))).post('/v1/conversations', {})).body.conversation_id;
    });

    it.each<[string, () => { path: string; body: unknown }, string]>([
      [
        'a time without a zone',
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { occurred_at: '2026-11-20T10:00:00.123456' }) }),
        'occurred_at',
      ],
      [
        'a time with nanoseconds',
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { occurred_at: '2026-11-20T10:00:00.123456789Z' }) }),
        'occurred_at',
      ],
      ['an impossible time', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { occurred_at: '2026-02-30T10:00:00Z' }) }), 'occurred_at'],
      ['revision 0', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { revision: 0 }) }), 'revision'],
      ['revision 1.5', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { revision: 1.5 }) }), 'revision'],
      ['revision -1', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { revision: -1 }) }), 'revision'],
      ['revision as a string', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { revision: '2' }) }), 'revision'],
      ['no revision', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { revision: undefined }) }), 'revision'],
      [
        "another user's conversation",
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { conversation_id: othersConversation }) }),
        'conversation_id',
      ],
      ['an unknown conversation', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { conversation_id: randomUUID() }) }), 'conversation_id'],
      ['an unknown field', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { tokens_delta: 5 }) }), 'tokens_delta'],
      [
        'an unknown usage field',
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { usage: { ...u1, audio_tokens: 3 } }) }),
        'usage.audio_tokens',
      ],
      ['no usage', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { usage: undefined }) }), 'usage'],
      [
        'usage whose total does not add up',
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { usage: { ...u1, total_tokens: 5 } }) }),
        'usage.total_tokens',
      ],
      [
        'cached tokens beyond the prompt',
        () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { usage: { ...u1, cached_tokens: 1001 } }) }),
        'usage.cached_tokens',
      ],
      ['a user id with a space', () => ({ path: path(anExternalId()), body: aUsageRecord('a b') }), 'user_id'],
      ['an upper-case channel', () => ({ path: path(anExternalId()), body: aUsageRecord(owner, { channel: 'Web' }) }), 'channel'],
      ['a source starting with a dash', () => ({ path: path(anExternalId(), '-agents'), body: aUsageRecord(owner) }), 'source'],
      ['a source with a space', () => ({ path: path(anExternalId(), 'my%20agents'), body: aUsageRecord(owner) }), 'source'],
      ['a source of 101 characters', () => ({ path: path(anExternalId(), 'a'.repeat(101)), body: aUsageRecord(owner) }), 'source'],
      ['an external id of 129 characters', () => ({ path: path('x'.repeat(129)), body: aUsageRecord(owner) }), 'external_id'],
      ['an external id with a percent', () => ({ path: path('run%2542'), body: aUsageRecord(owner) }), 'external_id'],
    ])('%s', async (_name, request, field) => {
      const before = await counts();
      const { path: url, body } = request();
      const res = await agents.put(url, body);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      await expect(counts()).resolves.toEqual(before);
    });
  });

  it('PUT needs usage:write; GET usage:write or usage:read_all; an unknown record is a 404', async () => {
    const user = aUserId();
    const id = anExternalId();
    await expect(gw.http.as(gw.token(user)).put(path(id), aUsageRecord(user))).resolves.toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    await expect(gw.http.as(gw.token('svc', ['tokens:adjust'])).put(path(id), aUsageRecord(user))).resolves.toMatchObject({ status: 403 });
    expect((await sync(id, aUsageRecord(user))).status).toBe(201);
    await expect(gw.http.as(gw.token(user)).get(path(id))).resolves.toMatchObject({ status: 403, body: { error: { details: [{ field: 'scope' }] } } });
    await expect(read(anExternalId())).resolves.toMatchObject({
      status: 404,
      body: { error: { code: 'USAGE_RECORD_NOT_FOUND', details: [{ field: 'external_id' }] } },
    });
    await expect(read(id, 'indexer')).resolves.toMatchObject({ status: 404 });
  });

  it('serialises concurrent syncs of one record: ten copies of one body write one event, racing revisions chain their deltas', async () => {
    const user = aUserId();
    const conversationId = (await gw.http.as(gw.token(user)).post('/v1/conversations', {})).body.conversation_id;
    const id = anExternalId();
    const body = aUsageRecord(user, { conversation_id: conversationId });
    const copies = await Promise.all(Array.from({ length: 10 }, () => sync(id, body)));
    expect(copies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(await eventsOf(id)).toHaveLength(1);

    const usageOf = (n: number) => ({ prompt_tokens: 1000 + 100 * n, completion_tokens: 200 + (n % 3) * 50 });
    await Promise.all([2, 3, 4, 5, 6].map((n) => sync(id, aUsageRecord(user, { conversation_id: conversationId, revision: n, usage: usageOf(n) }))));
    await expect(read(id)).resolves.toMatchObject({ body: { revision: 6, usage: full(usageOf(6)) } });
    const events = await eventsOf(id);
    // Whichever order they committed in, each event's delta leads from the one before it, so they add up to revision 6.
    const sum = events.reduce((s, e) => s + e.payload.data.delta.total_tokens, 0);
    expect(sum).toBe(full(usageOf(6)).total_tokens);
    for (const [i, e] of events.entries()) {
      expect(e.payload.data.previous_revision).toBe(i === 0 ? null : events[i - 1].payload.data.revision);
      expect(e.payload.data.revision).toBeGreaterThan(e.payload.data.previous_revision ?? 0);
    }
  });

  it('its migration goes down, with records stored, and up again', async () => {
    const dataSource = gw.app.get(DataSource);
    const executed = async () => (await gw.db.query(`SELECT name FROM chat_migrations ORDER BY id`)).rows.map((r) => r.name as string);
    expect((await counts()).records).toBeGreaterThan(0);
    // Down to before it (later migrations of other features go down on the way), then everything up again.
    let reverted = 0;
    while ((await executed()).includes('UsageRecords1765100000000')) {
      await dataSource.undoLastMigration();
      reverted += 1;
    }
    await expect(gw.db.query(`SELECT to_regclass('chat.usage_records') AS a, to_regclass('chat.usage_record_revisions') AS b`)).resolves.toMatchObject({
      rows: [{ a: null, b: null }],
    });
    await expect(dataSource.runMigrations()).resolves.toHaveLength(reverted);
    await expect(executed()).resolves.toContain('UsageRecords1765100000000');
  });
});
