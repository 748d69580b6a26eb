import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, createTestDatabase, HttpClient, OpenApiResponseValidator } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { aMessageEventV3, recordsOf } from '../apps/ledger-consumer/test/events';
import { LedgerTestApp, startLedger } from '../apps/ledger-consumer/test/ledger-test-app';

type Caller =
  | 'none'
  | 'expired'
  | 'badSignature'
  | 'algNone'
  | 'otherUser'
  | 'owner'
  | 'service'
  | 'operator'
  | 'reader'
  | 'orgReader'
  | 'otherOrgReader'
  | 'otherOrgService';
const CALLERS: Caller[] = [
  'none',
  'expired',
  'badSignature',
  'algNone',
  'otherUser',
  'owner',
  'service',
  'operator',
  'reader',
  'orgReader',
  'otherOrgReader',
  'otherOrgService',
];

/**
 * Who may do what: every endpoint of both services against every kind of caller, with the exact
 * status expected. A bad or missing token is 401 everywhere; another user's data does not exist (404)
 * or is forbidden (403); scopes gate adjustments, operator endpoints and reading other users' usage.
 * Tenants: the owner is of organisation org-a; usage:read_org reads org-a's usage when its token is of org-a
 * (orgReader) and nothing of it when of org-b (otherOrgReader); a service of org-b writes for no user of org-a.
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
    owner: issueToken({ userId: owner, orgId: 'org-a' }, secret),
    service: issueToken({ userId: 'title-service', scopes: ['tokens:adjust'] }, secret),
    operator: issueToken({ userId: 'ops', scopes: ['outbox:admin'] }, secret),
    reader: issueToken({ userId: 'analyst', scopes: ['usage:read_all'] }, secret),
    orgReader: issueToken({ userId: 'org-a-analyst', scopes: ['usage:read_org'], orgId: 'org-a' }, secret),
    otherOrgReader: issueToken({ userId: 'org-b-analyst', scopes: ['usage:read_org'], orgId: 'org-b' }, secret),
    otherOrgService: issueToken({ userId: 'org-b-service', scopes: ['tokens:adjust', 'usage:write', 'tasks:write'], orgId: 'org-b' }, secret),
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
    await ledger.apply.execute(recordsOf([aMessageEventV3({ userId: owner, conversationId, messageId, orgId: 'org-a' })]));
    documents.gateway = new OpenApiResponseValidator((await gw.http.get('/docs-json')).body);
    documents.ledger = new OpenApiResponseValidator((await ledger.http.get('/docs-json')).body);
  });
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  const UNAUTH = { none: 401, expired: 401, badSignature: 401, algNone: 401 } as const;
  type Row = { name: string; app: 'gateway' | 'ledger'; method: string; path: () => string; body?: () => unknown; expect: Partial<Record<Caller, number>> };
  const everyone = (status: number) => ({
    otherUser: status,
    owner: status,
    service: status,
    operator: status,
    reader: status,
    orgReader: status,
    otherOrgReader: status,
    otherOrgService: status,
  });
  /** Reads of the owner's usage: the owner, operators (usage:read_all) and the readers of the owner's organisation. */
  const ownerReaders = (denied: number) => ({ ...everyone(denied), owner: 200, reader: 200, orgReader: 200 });
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
    {
      name: 'usage record read',
      app: 'gateway',
      method: 'GET',
      path: () => '/v1/usage-records/agents/run-1',
      expect: { ...everyone(403), reader: 404, otherOrgService: 404 },
    },
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
    { name: 'user usage', app: 'ledger', method: 'GET', path: () => `/v1/users/${owner}/usage`, expect: ownerReaders(403) },
    {
      name: 'conversation usage',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/conversations/${conversationId}/usage`,
      expect: ownerReaders(404),
    },
    {
      name: 'entries of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/entries?user_id=${owner}`,
      expect: ownerReaders(403),
    },
    {
      name: 'summary of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/summary?group_by=model&user_id=${owner}`,
      expect: ownerReaders(403),
    },
    {
      name: 'timeline of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/timeline?interval=day&user_id=${owner}`,
      expect: ownerReaders(403),
    },
    {
      name: 'daily of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/daily?user_id=${owner}`,
      expect: ownerReaders(403),
    },
    {
      name: 'sessions of the owner',
      app: 'ledger',
      method: 'GET',
      path: () => `/v1/usage/sessions?user_id=${owner}`,
      expect: ownerReaders(403),
    },
    { name: 'own summary (no user_id)', app: 'ledger', method: 'GET', path: () => '/v1/usage/summary?group_by=day', expect: everyone(200) },
    // Filtering one's own usage by an organisation is fine; an organisation's reader reads its own organisation only.
    {
      name: 'summary of organisation org-b',
      app: 'ledger',
      method: 'GET',
      path: () => '/v1/usage/summary?group_by=user&org_id=org-b',
      expect: { ...everyone(200), orgReader: 403 },
    },
    {
      name: 'entries of organisation org-a',
      app: 'ledger',
      method: 'GET',
      path: () => '/v1/usage/entries?org_id=org-a',
      expect: { ...everyone(200), otherOrgReader: 403 },
    },
    {
      name: 'budget of organisation org-a',
      app: 'gateway',
      method: 'GET',
      path: () => '/v1/orgs/org-a/budget',
      // Members of org-a (a token of org-a) and operators may read it; it does not exist (404).
      expect: { ...everyone(403), owner: 404, reader: 404, orgReader: 404 },
    },
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

  it('refuses writes of another organisation’s service for the owner with TENANT_MISMATCH, writing nothing', async () => {
    const service = gw.http.as(tokens.otherOrgService);
    const adjustment = { user_id: owner, tokens_delta: 1, reason: 'correction', triggered_at: new Date().toISOString() };
    const record = { user_id: owner, usage: { prompt_tokens: 1, completion_tokens: 1 }, occurred_at: new Date().toISOString(), revision: 1 };
    const task = { source: 'org-b-titles', external_id: 'x-1', kind: 'title_generation', user_id: owner };
    for (const res of [
      await service.post('/v1/token-adjustments', adjustment),
      await service.put('/v1/usage-records/agents/run-2', record),
      await service.post('/v1/tasks', task),
    ]) {
      expect(res).toMatchObject({ status: 403, body: { error: { code: 'TENANT_MISMATCH', details: [{ field: 'user_id' }] } } });
    }
    const { rows } = await gw.db.query(
      `SELECT (SELECT count(*)::int FROM outbox.events WHERE partition_key = $1 AND event_type <> 'chat.message.recorded') AS events,
              (SELECT count(*)::int FROM chat.usage_records WHERE user_id = $1) AS records, (SELECT count(*)::int FROM chat.tasks WHERE user_id = $1) AS tasks`,
      [owner],
    );
    // The one adjustment the matrix allowed (the platform service's), nothing of org-b's service.
    expect(rows[0]).toEqual({ events: 1, records: 0, tasks: 0 });
  });

  it('never lets the intruder see or change the owner’s data', async () => {
    const { rows: messages } = await gw.db.query(`SELECT count(*)::int AS n FROM chat.messages WHERE conversation_id = $1`, [conversationId]);
    expect(messages[0].n).toBe(3); // the first message plus the owner's two allowed posts
    const { rows: conv } = await gw.db.query(`SELECT title, status FROM chat.conversations WHERE id = $1`, [conversationId]);
    expect(conv[0]).toEqual({ title: 'x', status: 'active' });
  });
});
