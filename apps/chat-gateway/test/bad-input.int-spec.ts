import { aUserId, anAdjustment, anAssistantMessage, aUserMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

type Case = [name: string, body: unknown, field: string];

/**
 * Every rejected request is a 4xx with the JSON error body naming the field, and writes nothing.
 * The database is compared before and after the whole table of cases.
 */
describe('bad input is rejected with a clear 4xx and changes nothing', () => {
  let gw: GatewayTestApp;
  let user: string;
  let conversationId: string;
  let before: string;
  const snapshot = async () =>
    JSON.stringify(
      (
        await gw.db.query(`SELECT (SELECT count(*) FROM chat.conversations) c, (SELECT count(*) FROM chat.messages) m,
        (SELECT count(*) FROM outbox.events) o, (SELECT count(*) FROM chat.idempotency_keys) k,
        (SELECT string_agg(id::text || message_count || coalesce(title, '') || status, ',') FROM chat.conversations) s`)
      ).rows,
    );

  beforeAll(async () => {
    gw = await startGateway({ env: { MESSAGE_MAX_BYTES: '1024', BODY_LIMIT_BYTES: '8192' } });
    user = aUserId();
    conversationId = (await gw.http.as(gw.token(user)).post('/v1/conversations', { title: 't' })).body.conversation_id;
    before = await snapshot();
  });
  afterAll(async () => {
    await expect(snapshot()).resolves.toBe(before);
    await gw.close();
  });

  const api = () => gw.http.as(gw.token(user));
  const expectRejected = (res: { status: number; body: any }, field?: string, status = 400) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
    if (field) expect(res.body.error.details.map((d: any) => d.field)).toContain(field);
  };

  const messageCases: Case[] = [
    ['unknown field', { ...aUserMessage(), extra: 1 }, 'extra'],
    ['unknown role', aUserMessage({ role: 'bot' }), 'role'],
    ['missing role', { content: 'x' }, 'role'],
    ['empty content', aUserMessage({ content: '' }), 'content'],
    ['content not a string', aUserMessage({ content: 42 }), 'content'],
    ['content with NUL', aUserMessage({ content: 'a\u0000b' }), 'content'],
    ['content with a lone surrogate', aUserMessage({ content: 'a\ud800b' }), 'content'],
    ['oversized content', aUserMessage({ content: 'x'.repeat(1025) }), 'content'],
    ['negative tokens', anAssistantMessage({ prompt_tokens: -1, completion_tokens: 1 }), 'usage.prompt_tokens'],
    ['fractional tokens', anAssistantMessage({ prompt_tokens: 1.5, completion_tokens: 1 }), 'usage.prompt_tokens'],
    ['absurd tokens', anAssistantMessage({ prompt_tokens: 1_000_000_001, completion_tokens: 1 }), 'usage.prompt_tokens'],
    ['tokens as string', anAssistantMessage({ prompt_tokens: '12' as unknown as number, completion_tokens: 1 }), 'usage.prompt_tokens'],
    ['total that disagrees', anAssistantMessage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 4 }), 'usage.total_tokens'],
    ['sum over the limit', anAssistantMessage({ prompt_tokens: 600_000_000, completion_tokens: 600_000_000 }), 'usage.total_tokens'],
    ['unknown usage field', anAssistantMessage({ prompt_tokens: 1, completion_tokens: 2, input_tokens: 3 }), 'usage.input_tokens'],
    ['usage not an object', aUserMessage({ usage: 'lots' }), 'usage'],
    ['model too long', aUserMessage({ model: 'm'.repeat(101) }), 'model'],
  ];

  it.each(messageCases)('POST messages: %s', async (_name, body, field) => {
    expectRejected(await api().post(`/v1/conversations/${conversationId}/messages`, body), field);
  });

  it.each(messageCases)('POST /v1/chat/messages: %s', async (_name, body, field) => {
    expectRejected(await api().post('/v1/chat/messages', { ...(body as object), conversation_id: conversationId }), field);
  });

  it('rejects malformed JSON, JSON that is not an object, Infinity-sized numbers and forbidden keys', async () => {
    const path = `/v1/conversations/${conversationId}/messages`;
    const json = { 'content-type': 'application/json' };
    expectRejected(await api().request('POST', path, '{"role":"user",', json), 'body');
    expectRejected(await api().request('POST', path, '[{"role":"user","content":"x"}]', json), 'body');
    expectRejected(await api().request('POST', path, '"just a string"', json));
    expectRejected(
      await api().request('POST', path, '{"role":"assistant","content":"x","usage":{"prompt_tokens":1e309,"completion_tokens":1}}', json),
      'usage.prompt_tokens',
    );
    expectRejected(await api().request('POST', path, '{"role":"user","content":"x","usage":{"prompt_tokens":NaN,"completion_tokens":1}}', json), 'body');
    expectRejected(await api().request('POST', path, '{"role":"user","content":"x","__proto__":{"admin":true}}', json), '__proto__');
    expectRejected(await api().request('POST', path, '{"role":"user","content":"x","constructor":{"prototype":{}}}', json));
    expectRejected(await api().request('POST', path, '['.repeat(4000) + ']'.repeat(4000), json));
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('rejects a wrong content type (415) and an oversized body (413)', async () => {
    const path = `/v1/conversations/${conversationId}/messages`;
    expectRejected(await api().request('POST', path, 'role=user&content=x', { 'content-type': 'application/x-www-form-urlencoded' }), 'content-type', 415);
    expectRejected(await api().request('POST', path, 'hello', { 'content-type': 'text/plain' }), 'content-type', 415);
    expectRejected(await api().post(path, aUserMessage({ content: 'x'.repeat(10_000) })), 'body', 413);
  });

  it('rejects bad ids, bad cursors and bad paging parameters', async () => {
    expectRejected(await api().get('/v1/conversations/not-a-uuid'), 'conversation_id');
    expectRejected(await api().post('/v1/conversations/123/messages', aUserMessage()), 'conversation_id');
    expectRejected(await api().post('/v1/chat/messages', { ...aUserMessage(), conversation_id: "1' OR '1'='1" }), 'conversation_id');
    expectRejected(await api().get(`/v1/conversations/${conversationId}/messages?cursor=abc`), 'cursor');
    expectRejected(await api().get(`/v1/conversations/${conversationId}/messages?cursor=${Buffer.from('["x","y"]').toString('base64url')}`), 'cursor');
    expectRejected(await api().get(`/v1/conversations/${conversationId}/messages?limit=0`), 'limit');
    expectRejected(await api().get(`/v1/conversations/${conversationId}/messages?limit=abc`), 'limit');
    expectRejected(await api().get('/v1/conversations?page=0'), 'page');
    expectRejected(await api().get('/v1/conversations?page_size=1000'), 'page_size');
    expectRejected(await api().get('/v1/conversations?page=1.5'), 'page');
    expectRejected(await api().get('/v1/conversations?status=deleted'), 'status');
    expectRejected(await api().get('/v1/conversations?status=active&status=archived'), 'status');
    expectRejected(await api().get('/v1/conversations?sort=name'), 'sort');
  });

  it('rejects bad conversation bodies', async () => {
    expectRejected(await api().post('/v1/conversations', { title: '' }), 'title');
    expectRejected(await api().post('/v1/conversations', { title: 'x'.repeat(201) }), 'title');
    expectRejected(await api().post('/v1/conversations', { title: 5 }), 'title');
    expectRejected(await api().post('/v1/conversations', { owner: 'someone-else' }), 'owner');
    expectRejected(await api().patch(`/v1/conversations/${conversationId}`, { status: 'deleted' }), 'status');
    expectRejected(await api().patch(`/v1/conversations/${conversationId}`, {}), 'body');
    expectRejected(await api().patch(`/v1/conversations/${conversationId}`, { message_count: 0 }), 'message_count');
  });

  it('rejects bad idempotency keys', async () => {
    const path = `/v1/conversations/${conversationId}/messages`;
    expectRejected(await api().post(path, aUserMessage(), { 'Idempotency-Key': 'x'.repeat(256) }), 'Idempotency-Key');
    expectRejected(await api().post(path, aUserMessage(), { 'Idempotency-Key': 'has space' }), 'Idempotency-Key');
  });

  const adjustmentCases: Array<[string, Record<string, unknown>, string]> = [
    ['missing user_id', { user_id: undefined }, 'user_id'],
    ['user_id too long', { user_id: 'u'.repeat(65) }, 'user_id'],
    ['user_id with spaces', { user_id: 'a b' }, 'user_id'],
    ['fractional delta', { tokens_delta: 1.5 }, 'tokens_delta'],
    ['absurd delta', { tokens_delta: -2_000_000_000 }, 'tokens_delta'],
    ['delta as string', { tokens_delta: '5' }, 'tokens_delta'],
    ['bad reason', { reason: 'DROP TABLE' }, 'reason'],
    ['missing reason', { reason: undefined }, 'reason'],
    ['bad time', { triggered_at: 'yesterday' }, 'triggered_at'],
    ['time without zone', { triggered_at: '2026-11-23T10:00:00' }, 'triggered_at'],
    ['time in the far future', { triggered_at: '2999-01-01T00:00:00Z' }, 'triggered_at'],
    ['bad conversation id', { conversation_id: 'nope' }, 'conversation_id'],
    ['unknown conversation', { conversation_id: '01a20848-1152-7135-9c0b-7609ced7df88' }, 'conversation_id'],
    ['unknown field', { amount: 3 }, 'amount'],
  ];

  it.each(adjustmentCases)('POST /v1/token-adjustments: %s', async (_name, overrides, field) => {
    const res = await gw.http.as(gw.token('svc', ['tokens:adjust'])).post('/v1/token-adjustments', anAdjustment(user, overrides));
    expectRejected(res, field);
  });
});
