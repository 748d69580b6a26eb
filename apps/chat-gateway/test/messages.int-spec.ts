import { aUserId, aUserMessage, anAssistantMessage, errorOf, HttpResult, TypedHttpClient } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';
import type { components, paths } from './openapi';

type Schemas = components['schemas'];

describe('recording messages (chat-gateway write path)', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());
  /** The user's client, typed by the gateway's OpenAPI document (and checked against it at run time). */
  const as = (userId: string): TypedHttpClient<paths> => gw.http.as(gw.token(userId)).typed<paths>();

  async function newConversation(userId: string): Promise<string> {
    const res = await as(userId).post('/v1/conversations', { title: 'trip' });
    expect(res.status).toBe(201);
    return res.body.conversation_id;
  }

  const countRows = async (sql: string, params: unknown[]) => Number((await gw.db.query(sql, params)).rows[0].n);

  it('stores the message, bumps the conversation and writes the outbox envelope in one go', async () => {
    const user = aUserId();
    const api = as(user);
    const conversationId = await newConversation(user);
    const path = { id: conversationId };

    const res = await api.post('/v1/conversations/{id}/messages', anAssistantMessage({ prompt_tokens: 120, completion_tokens: 80, cached_tokens: 10 }), {
      path,
    });

    expect(res.status).toBe(201);
    expect(res.body).toEqual<Schemas['RecordedMessageResponse']>({
      message_id: expect.any(String),
      conversation_id: conversationId,
      role: 'assistant',
      tokens_consumed: 200,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    const { rows } = await gw.db.query(`SELECT * FROM outbox.events WHERE payload->'data'->>'message_id' = $1`, [res.body.message_id]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({ event_type: 'chat.message.recorded', partition_key: user, status: 'pending', attempts: 0 });
    // The user's first event: sequence number 1, in the envelope and in a header.
    expect(row.headers).toEqual({ 'event-id': row.event_id, 'event-type': 'chat.message.recorded', 'content-type': 'application/json', 'user-seq': '1' });
    expect(row.payload).toEqual({
      id: row.event_id,
      type: 'chat.message.recorded',
      version: 3,
      source: 'chat-gateway',
      occurred_at: res.body.created_at,
      user_seq: 1,
      data: {
        user_id: user,
        conversation_id: conversationId,
        message_id: res.body.message_id,
        role: 'assistant',
        model: 'gpt-4o',
        usage: { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 10, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 200 },
        tokens_delta: 200,
        channel: null,
        operation: null,
        // A token without tenant claims, a user bound to no organisation: no tenant.
        org_id: null,
        project_id: null,
        api_key_id: null,
      },
    });
    const meta = await api.get('/v1/conversations/{id}', { path });
    expect(meta.body).toMatchObject<Partial<Schemas['ConversationResponse']>>({ message_count: 1, last_message_at: res.body.created_at });
  });

  it('counts a user message without usage as 0 tokens', async () => {
    const user = aUserId();
    const conversationId = await newConversation(user);
    const res = await as(user).post('/v1/conversations/{id}/messages', aUserMessage(), { path: { id: conversationId } });
    expect(res.status).toBe(201);
    expect(res.body.tokens_consumed).toBe(0);
    const { rows } = await gw.db.query(
      `SELECT payload FROM outbox.events WHERE event_id::text = (SELECT event_id::text FROM outbox.events WHERE payload->'data'->>'message_id' = $1)`,
      [res.body.message_id],
    );
    expect(rows[0].payload.data.tokens_delta).toBe(0);
  });

  it('atomic write: a failure after the message insert leaves no message and no outbox row', async () => {
    const user = aUserId();
    const api = as(user);
    const conversationId = await newConversation(user);
    const path = { id: conversationId };
    // Injected at the database, after chat.messages got its row inside the same transaction.
    await gw.db.query(`
      CREATE FUNCTION chat.fail_outbox_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure after the message insert'; END $$;
      CREATE TRIGGER fail_outbox_insert BEFORE INSERT ON outbox.events FOR EACH ROW EXECUTE FUNCTION chat.fail_outbox_insert();`);
    try {
      const res = await api.post('/v1/conversations/{id}/messages', anAssistantMessage(), { path });
      expect(res.status).toBe(500);
      expect(errorOf(res).code).toBe('INTERNAL');
    } finally {
      await gw.db.query(`DROP TRIGGER fail_outbox_insert ON outbox.events; DROP FUNCTION chat.fail_outbox_insert();`);
    }

    await expect(countRows(`SELECT count(*) AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId])).resolves.toBe(0);
    await expect(countRows(`SELECT count(*) AS n FROM outbox.events WHERE payload->'data'->>'conversation_id' = $1`, [conversationId])).resolves.toBe(0);
    await expect(api.get('/v1/conversations/{id}', { path })).resolves.toMatchObject({ body: { message_count: 0, last_message_at: null } });

    const retry = await api.post('/v1/conversations/{id}/messages', anAssistantMessage(), { path });
    expect(retry.status).toBe(201);
  });

  it('idempotency: 10 parallel identical requests make one message and one outbox row', async () => {
    const user = aUserId();
    const api = as(user);
    const conversationId = await newConversation(user);
    const path = { id: conversationId };
    const headers = { 'Idempotency-Key': `retry-${user}` };

    const responses = await Promise.all(Array.from({ length: 10 }, () => api.post('/v1/conversations/{id}/messages', anAssistantMessage(), { path, headers })));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(responses.map((r) => r.body.message_id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    await expect(countRows(`SELECT count(*) AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId])).resolves.toBe(1);
    await expect(countRows(`SELECT count(*) AS n FROM outbox.events WHERE payload->'data'->>'conversation_id' = $1`, [conversationId])).resolves.toBe(1);
    await expect(api.get('/v1/conversations/{id}', { path })).resolves.toMatchObject({ body: { message_count: 1 } });
  });

  it('idempotency: the same key with a different body is a 409 and writes nothing', async () => {
    const user = aUserId();
    const api = as(user);
    const conversationId = await newConversation(user);
    const path = { id: conversationId };
    const headers = { 'Idempotency-Key': 'k-1' };
    await expect(api.post('/v1/conversations/{id}/messages', aUserMessage(), { path, headers })).resolves.toMatchObject({ status: 201 });

    const conflict = await api.post('/v1/conversations/{id}/messages', aUserMessage({ content: 'something else' }), { path, headers });

    expect(conflict.status).toBe(409);
    expect(errorOf(conflict).code).toBe('IDEMPOTENCY_KEY_REUSED');
    await expect(countRows(`SELECT count(*) AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId])).resolves.toBe(1);
  });

  it('idempotency keys are per user: another user may use the same key', async () => {
    const [alice, bob] = [aUserId('alice'), aUserId('bob')];
    const headers = { 'Idempotency-Key': 'shared-key' };
    const a = await as(alice).post('/v1/chat/messages', aUserMessage(), { headers });
    const b = await as(bob).post('/v1/chat/messages', aUserMessage(), { headers });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.conversation_id).not.toBe(b.body.conversation_id);
  });

  it('POST /v1/chat/messages creates the conversation when none is given, and appends when one is', async () => {
    const user = aUserId();
    const api = as(user);
    const first = await api.post('/v1/chat/messages', aUserMessage({ model: 'gpt-4o' }));
    expect(first.status).toBe(201);
    const second = await api.post('/v1/chat/messages', { ...anAssistantMessage(), conversation_id: first.body.conversation_id });
    expect(second.status).toBe(201);
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    const meta = await api.get('/v1/conversations/{id}', { path: { id: first.body.conversation_id } });
    expect(meta.body).toMatchObject({ message_count: 2, model: 'gpt-4o', has_title: false, title: null });
  });

  it('history is oldest first and pages with a cursor', async () => {
    const user = aUserId();
    const api = as(user);
    const conversationId = await newConversation(user);
    const path = { id: conversationId };
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.post('/v1/conversations/{id}/messages', aUserMessage({ content: `m${i}` }), { path });
      sent.push(res.body.message_id);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpResult<Schemas['MessagePage']> = await api.get('/v1/conversations/{id}/messages', {
        path,
        query: { limit: 2, cursor: cursor ?? undefined },
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.list.map((m) => m.message_id));
      cursor = page.body.next_cursor;
    } while (cursor);

    expect(seen).toEqual(sent);
    const one = await api.get('/v1/conversations/{id}/messages', { path, query: { limit: 1 } });
    expect(one.body.list[0]).toEqual<Schemas['HistoryMessageResponse']>({
      message_id: sent[0]!,
      conversation_id: conversationId,
      role: 'user',
      content: 'm0',
      model: null,
      usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 0 },
      channel: null,
      operation: null,
      tokens_consumed: 0,
      ledger_applied: false,
      created_at: expect.stringMatching(/Z$/),
    });
  });

  it('a conversation of another user does not exist for you (404), for reads and writes', async () => {
    const owner = aUserId('owner');
    const conversationId = await newConversation(owner);
    const intruder = as(aUserId('intruder'));
    const path = { id: conversationId };
    for (const res of [
      await intruder.get('/v1/conversations/{id}', { path }),
      await intruder.get('/v1/conversations/{id}/messages', { path }),
      await intruder.post('/v1/conversations/{id}/messages', aUserMessage(), { path }),
      await intruder.patch('/v1/conversations/{id}', { title: 'mine now' }, { path }),
      await intruder.delete('/v1/conversations/{id}', { path }),
      await intruder.post('/v1/chat/messages', { ...aUserMessage(), conversation_id: conversationId }),
    ]) {
      expect(res.status).toBe(404);
      expect(errorOf(res).code).toBe('CONVERSATION_NOT_FOUND');
    }
    await expect(countRows(`SELECT count(*) AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId])).resolves.toBe(0);
  });
});
