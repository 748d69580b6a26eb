import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, createTestDatabase, HttpClient, OpenApiResponseValidator } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { aMessageEvent, recordsOf } from '../apps/ledger-consumer/test/events';
import { LedgerTestApp, startLedger } from '../apps/ledger-consumer/test/ledger-test-app';

type Caller = 'none' | 'expired' | 'badSignature' | 'algNone' | 'otherUser' | 'owner' | 'service' | 'operator' | 'reader';
const CALLERS: Caller[] = ['none', 'expired', 'badSignature', 'algNone', 'otherUser', 'owner', 'service', 'operator', 'reader'];

/**
 * Who may do what: every endpoint of both services against every kind of caller, with the exact
 * status expected. A bad or missing token is 401 everywhere; another user's data does not exist (404)
 * or is forbidden (403); scopes gate adjustments, operator endpoints and reading other users' usage.
 */
describe('authorization matrix', () => {
  const secret = randomBytes(32).toString('hex');
  const owner = aUserId('owner');
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;
  let conversationId: string;
  let doomedConversationId: string;
  let messageId: string;
  /** Each app's served OpenAPI document: every status the matrix observes must be documented, with its body. */
  const documents: Partial<Record<'gateway' | 'ledger', OpenApiResponseValidator>> = {};
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  // Signed with jose, so each is a promise; HttpClient.as awaits it.
  const tokens: Record<Caller, string | Promise<string> | undefined> = {
    none: undefined,
    expired: issueToken({ userId: owner, nowSeconds: now - 7 * 86_400, ttlSeconds: 60 }, secret),
    badSignature: issueToken({ userId: owner, scopes: ['outbox:admin', 'usage:read_all', 'tokens:adjust'] }, 'another-secret-of-at-least-32-characters!'),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: owner, scope: 'outbox:admin usage:read_all tokens:adjust', exp: now + 3600 })}.`,
    otherUser: issueToken({ userId: aUserId('intruder') }, secret),
    owner: issueToken({ userId: owner }, secret),
    service: issueToken({ userId: 'title-service', scopes: ['tokens:adjust'] }, secret),
    operator: issueToken({ userId: 'ops', scopes: ['outbox:admin'] }, secret),
    reader: issueToken({ userId: 'analyst', scopes: ['usage:read_all'] }, secret),
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('authz');
    gw = await startGateway({ databaseUrl, jwtSecret: secret, env: { RATE_LIMIT_WRITES_PER_SECOND: '0' } });
    ledger = await startLedger({ databaseUrl, jwtSecret: secret });
    const api = gw.http.as(tokens.owner);
    const first = await api.post('/v1/chat/messages', { role: 'assistant', content: 'hi', usage: { prompt_tokens: 3, completion_tokens: 4 } });
    conversationId = first.body.conversation_id;
    messageId = first.body.message_id;
    doomedConversationId = (await api.post('/v1/conversations', {})).body.conversation_id;
    // The ledger learns about the owner's conversation the way the consumer would apply it.
    await ledger.apply.execute(recordsOf([aMessageEvent({ userId: owner, conversationId, messageId })]));
    documents.gateway = new OpenApiResponseValidator((await gw.http.get('/docs-json')).body);
    documents.ledger = new OpenApiResponseValidator((await ledger.http.get('/docs-json')).body);
  });
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  const UNAUTH = { none: 401, expired: 401, badSignature: 401, algNone: 401 } as const;
  type Row = { name: string; app: 'gateway' | 'ledger'; method: string; path: () => string; body?: () => unknown; expect: Partial<Record<Caller, number>> };
  const everyone = (status: number) => ({ otherUser: status, owner: status, service: status, operator: status, reader: status });
  const rows: Row[] = [
    { name: 'list conversations', app: 'gateway', method: 'GET', path: () => '/v1/conversations', expect: everyone(200) },
    { name: 'create conversation', app: 'gateway', method: 'POST', path: () => '/v1/conversations', body: () => ({}), expect: everyone(201) },
    { name: 'read conversation', app: 'gateway', method: 'GET', path: () => `/v1/conversations/${conversationId}`, expect: { ...everyone(404), owner: 200 } },
    {
      name: 'rename conversation',
      app: 'gateway',
      method: 'PATCH',
      path: () => `/v1/conversations/${conversationId}`,
      body: () => ({ title: 'x' }),
      expect: { ...everyone(404), owner: 200 },
    },
    { name: 'history', app: 'gateway', method: 'GET', path: () => `/v1/conversations/${conversationId}/messages`, expect: { ...everyone(404), owner: 200 } },
    {
      name: 'post message',
      app: 'gateway',
      method: 'POST',
      path: () => `/v1/conversations/${conversationId}/messages`,
      body: () => ({ role: 'user', content: 'q' }),
      expect: { ...everyone(404), owner: 201 },
    },
    {
      name: 'chat message into a conversation',
      app: 'gateway',
      method: 'POST',
      path: () => '/v1/chat/messages',
      body: () => ({ role: 'user', content: 'q', conversation_id: conversationId }),
      expect: { ...everyone(404), owner: 201 },
    },
    {
      name: 'delete conversation',
      app: 'gateway',
      method: 'DELETE',
      path: () => `/v1/conversations/${doomedConversationId}`,
      expect: { ...everyone(404), owner: 204 },
    },
    {
      name: 'token adjustment',
      app: 'gateway',
      method: 'POST',
      path: () => '/v1/token-adjustments',
      body: () => ({ user_id: owner, message_id: messageId, tokens_delta: 1, reason: 'correction', triggered_at: new Date().toISOString() }),
      expect: { ...everyone(403), service: 202 },
    },
    {
      name: 'usage record sync',
      app: 'gateway',
      method: 'PUT',
      path: () => '/v1/usage-records/agents/run-1',
      body: () => ({ user_id: owner, usage: { prompt_tokens: 1, completion_tokens: 1 }, occurred_at: new Date().toISOString(), revision: 1 }),
      expect: everyone(403),
    },
    { name: 'usage record read', app: 'gateway', method: 'GET', path: () => '/v1/usage-records/agents/run-1', expect: { ...everyone(403), reader: 404 } },
    { name: 'outbox list', app: 'gateway', method: 'GET', path: () => '/v1/admin/outbox', expect: { ...everyone(403), operator: 200 } },
    { name: 'outbox stats', app: 'gateway', method: 'GET', path: () => '/v1/admin/outbox/stats', expect: { ...everyone(403), operator: 200 } },
    {
      name: 'outbox replay (dry run)',
      app: 'gateway',
      method: 'POST',
      path: () => '/v1/admin/outbox/replay',
      body: () => ({ dry_run: true }),
      expect: { ...everyone(403), operator: 200 },
    },
    { name: 'outbox retry', app: 'gateway', method: 'POST', path: () => '/v1/admin/outbox/999999999/retry', expect: { ...everyone(403), operator: 404 } },
    {
      name: 'user erasure (dry run)',
      app: 'gateway',
      method: 'POST',
      path: () => `/v1/admin/users/${owner}/erase`,
      body: () => ({ dry_run: true }),
      expect: everyone(403),
    },
    { name: 'user usage', app: 'ledger', method: 'GET', path: () => `/v1/users/${owner}/usage`, expect: { ...everyone(403), owner: 200, reader: 200 } },
    {
      name: 'conversation usage',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/conversations/${conversationId}/usage`,
      expect: { ...everyone(404), owner: 200, reader: 200 },
    },
    {
      name: 'entries of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/entries?user_id=${owner}`,
      expect: { ...everyone(403), owner: 200, reader: 200 },
    },
    {
      name: 'summary of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/summary?group_by=model&user_id=${owner}`,
      expect: { ...everyone(403), owner: 200, reader: 200 },
    },
    {
      name: 'timeline of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/timeline?interval=day&user_id=${owner}`,
      expect: { ...everyone(403), owner: 200, reader: 200 },
    },
    {
      name: 'daily of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/daily?user_id=${owner}`,
      expect: { ...everyone(403), owner: 200, reader: 200 },
    },
    {
      name: 'sessions of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/sessions?user_id=${owner}`,
      expect: { ...everyone(403), owner: 200, reader: 200 },
    },
    { name: 'own summary (no user_id)', app: 'ledger', method: 'GET', path: () => '/v1/usage/summary?group_by=day', expect: everyone(200) },
    { name: 'dead letters', app: 'ledger', method: 'GET', path: () => '/v1/admin/ledger/dead-letters', expect: { ...everyone(403), reader: 200 } },
  ];
  const publicRows = ['/health', '/health/ready', '/docs-json', '/metrics'];

  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const client = (caller: Caller): HttpClient => (row.app === 'gateway' ? gw.http : ledger.http).as(tokens[caller]);
    // The owner goes last: some rows change state (delete) only when allowed.
    const order: Caller[] = [...CALLERS.filter((c) => c !== 'owner'), 'owner'];
    const got: Partial<Record<Caller, number>> = {};
    for (const caller of order) {
      const res = await client(caller).request(row.method, row.path(), row.body?.());
      got[caller] = res.status;
      if (res.status >= 400) expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
      expect(documents[row.app]!.checkUrl(row.method, row.path(), res.status, res.headers.get('content-type'), res.body)).toEqual([]);
    }
    expect(got).toEqual({ ...UNAUTH, ...row.expect });
  });

  it('answers public endpoints without a token, and a bad token does not matter there', async () => {
    for (const app of [gw.http, ledger.http]) {
      for (const path of publicRows) {
        await expect(app.get(path)).resolves.toMatchObject({ status: 200 });
        await expect(app.as(tokens.algNone).get(path)).resolves.toMatchObject({ status: 200 });
      }
    }
  });

  it('never lets the intruder see or change the owner’s data', async () => {
    const { rows: messages } = await gw.db.query(`SELECT count(*)::int AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId]);
    expect(messages[0].n).toBe(3); // the first message plus the owner's two allowed posts
    const { rows: conv } = await gw.db.query(`SELECT title, status FROM chat.conversations WHERE id = $1`, [conversationId]);
    expect(conv[0]).toEqual({ title: 'x', status: 'active' });
  });
});
