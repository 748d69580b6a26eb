import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, anAdjustment, anAssistantMessage, aUsageRecord, aUserMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

// Where a write's tenant comes from, on the gateway alone (no ledger schema here: budgets count what the outbox holds).

describe('tenants of writes', () => {
  const secret = randomBytes(32).toString('hex');
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ jwtSecret: secret, env: { RATE_LIMIT_WRITES_PER_SECOND: '0' } });
  });
  afterAll(() => gw.close());

  const as = (userId: string, o: { scopes?: string[]; orgId?: string; projectId?: string } = {}) => gw.http.as(issueToken({ userId, ...o }, secret));
  const service = (orgId?: string) => as(`svc-${orgId ?? 'platform'}`, { scopes: ['tokens:adjust', 'usage:write', 'tasks:write'], orgId });
  const admin = (orgId?: string) => as(`ops-${orgId ?? 'all'}`, { scopes: ['budgets:admin'], orgId });
  const tenantOf = async (eventId: string) =>
    (
      await gw.db.query(
        `SELECT payload->>'version' AS version, payload->'data'->>'org_id' AS org_id, payload->'data'->>'project_id' AS project_id,
                payload->'data'->>'api_key_id' AS api_key_id FROM outbox.events WHERE event_id = $1`,
        [eventId],
      )
    ).rows[0];
  const lastEventOf = async (userId: string) =>
    (await gw.db.query(`SELECT event_id FROM outbox.events WHERE partition_key = $1 ORDER BY id DESC LIMIT 1`, [userId])).rows[0].event_id as string;
  const mismatch = (field: string) => ({ status: 403, body: { error: { code: 'TENANT_MISMATCH', details: [{ field }] } } });

  it('binds a user to the organisation of their first token; another organisation is refused, a token without one inherits it', async () => {
    const user = aUserId();
    const first = await as(user, { orgId: 'org-a', projectId: 'p1' }).post('/v1/chat/messages', anAssistantMessage(undefined, { api_key_id: 'k1' }));
    expect(first.status).toBe(201);
    await expect(tenantOf(await lastEventOf(user))).resolves.toEqual({ version: '3', org_id: 'org-a', project_id: 'p1', api_key_id: 'k1' });
    await expect(gw.db.query(`SELECT org_id, bound_by FROM chat.user_orgs WHERE user_id = $1`, [user])).resolves.toMatchObject({
      rows: [{ org_id: 'org-a', bound_by: user }],
    });
    const conversation = first.body.conversation_id;

    const elsewhere = as(user, { orgId: 'org-b' });
    await expect(elsewhere.post('/v1/conversations', {})).resolves.toMatchObject(mismatch('org_id'));
    await expect(elsewhere.post(`/v1/conversations/${conversation}/messages`, aUserMessage())).resolves.toMatchObject(mismatch('org_id'));
    // A token without tenant claims: the message counts in its conversation's organisation and project.
    const plain = await as(user).post(`/v1/conversations/${conversation}/messages`, aUserMessage());
    expect(plain.status).toBe(201);
    await expect(tenantOf(await lastEventOf(user))).resolves.toMatchObject({ org_id: 'org-a', project_id: 'p1', api_key_id: null });
    // A new conversation of the user is of the user's organisation too.
    const fresh = await as(user).post('/v1/conversations', { project_id: 'p2' });
    expect(fresh.status).toBe(201);
    await expect(gw.db.query(`SELECT org_id, project_id FROM chat.conversations WHERE id = $1`, [fresh.body.conversation_id])).resolves.toMatchObject({
      rows: [{ org_id: 'org-a', project_id: 'p2' }],
    });
  });

  it('a conversation fixes its project: another project_id is a 400, a token of another project is refused', async () => {
    const user = aUserId();
    const first = await as(user, { orgId: 'org-a', projectId: 'p1' }).post('/v1/chat/messages', aUserMessage());
    const conversation_id = first.body.conversation_id;
    await expect(as(user, { orgId: 'org-a' }).post('/v1/chat/messages', aUserMessage({ conversation_id, project_id: 'p9' }))).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'project_id' }] } },
    });
    await expect(as(user, { orgId: 'org-a', projectId: 'p2' }).post('/v1/chat/messages', aUserMessage({ conversation_id }))).resolves.toMatchObject(
      mismatch('project_id'),
    );
    await expect(as(user, { projectId: 'p2' }).post('/v1/conversations', { project_id: 'p3' })).resolves.toMatchObject(mismatch('project_id'));
  });

  it('services write for users of their organisation only; a platform service names the organisation, binding a user not seen yet', async () => {
    const fresh = aUserId();
    // A service of org-a is the first to see the user: the user is of org-a from then on.
    const adjusted = await service('org-a').post('/v1/token-adjustments', anAdjustment(fresh, { project_id: 'p1', api_key_id: 'k7' }));
    expect(adjusted.status).toBe(202);
    await expect(tenantOf(adjusted.body.event_id)).resolves.toEqual({ version: '3', org_id: 'org-a', project_id: 'p1', api_key_id: 'k7' });
    await expect(service('org-b').post('/v1/token-adjustments', anAdjustment(fresh))).resolves.toMatchObject(mismatch('user_id'));
    await expect(service('org-a').post('/v1/token-adjustments', anAdjustment(fresh, { org_id: 'org-b' }))).resolves.toMatchObject(mismatch('org_id'));
    await expect(service().post('/v1/token-adjustments', anAdjustment(fresh, { org_id: 'org-b' }))).resolves.toMatchObject(mismatch('user_id'));
    // A platform service without org_id writes in the user's organisation.
    const platform = await service().post('/v1/token-adjustments', anAdjustment(fresh));
    await expect(tenantOf(platform.body.event_id)).resolves.toMatchObject({ org_id: 'org-a' });

    const other = aUserId();
    const named = await service().post('/v1/token-adjustments', anAdjustment(other, { org_id: 'org-c' }));
    expect(named.status).toBe(202);
    await expect(gw.db.query(`SELECT org_id FROM chat.user_orgs WHERE user_id = $1`, [other])).resolves.toMatchObject({ rows: [{ org_id: 'org-c' }] });
    // A user nobody named an organisation for stays without one.
    const loose = aUserId();
    const none = await service().post('/v1/token-adjustments', anAdjustment(loose));
    await expect(tenantOf(none.body.event_id)).resolves.toMatchObject({ org_id: null, project_id: null });
    await expect(gw.db.query(`SELECT 1 FROM chat.user_orgs WHERE user_id = $1`, [loose])).resolves.toMatchObject({ rowCount: 0 });
  });

  it('a usage record keeps the tenant of its first revision; a later one may leave it out, naming another is a 409', async () => {
    const user = aUserId();
    const put = (body: Record<string, unknown>) => service('org-a').put('/v1/usage-records/agents/run-t1', aUsageRecord(user, body));
    await expect(put({ revision: 1, api_key_id: 'k1', project_id: 'p1' })).resolves.toMatchObject({
      status: 201,
      body: { org_id: 'org-a', project_id: 'p1', api_key_id: 'k1' },
    });
    const second = await put({ revision: 2, usage: { prompt_tokens: 2000, completion_tokens: 10 } });
    expect(second).toMatchObject({ status: 200, body: { result: 'revised', api_key_id: 'k1' } });
    await expect(tenantOf(second.body.event_id)).resolves.toEqual({ version: '2', org_id: 'org-a', project_id: 'p1', api_key_id: 'k1' });
    await expect(put({ revision: 3, api_key_id: 'k2' })).resolves.toMatchObject({
      status: 409,
      body: { error: { code: 'USAGE_RECORD_CONFLICT', details: [{ field: 'api_key_id' }] } },
    });
    await expect(service('org-b').put('/v1/usage-records/agents/run-t1', aUsageRecord(user, { revision: 3 }))).resolves.toMatchObject(mismatch('user_id'));
    // Another organisation's service does not see it.
    await expect(service('org-b').get('/v1/usage-records/agents/run-t1')).resolves.toMatchObject({ status: 404 });
    await expect(service('org-a').get('/v1/usage-records/agents/run-t1')).resolves.toMatchObject({ status: 200, body: { org_id: 'org-a' } });
  });

  it('the outbox (every organisation’s events) is for operators of every organisation only', async () => {
    await expect(as('ops', { scopes: ['outbox:admin'], orgId: 'org-a' }).get('/v1/admin/outbox/stats')).resolves.toMatchObject({ status: 403 });
    await expect(as('ops', { scopes: ['outbox:admin'] }).get('/v1/admin/outbox/stats')).resolves.toMatchObject({ status: 200 });
  });

  it('tasks count where they were created; another organisation neither sees nor ends them', async () => {
    const user = aUserId();
    const created = await service('org-a').post('/v1/tasks', { source: 'indexer', external_id: 'job-1', kind: 'indexing', user_id: user, api_key_id: 'k3' });
    expect(created).toMatchObject({ status: 201, body: { org_id: 'org-a', api_key_id: 'k3' } });
    const id = created.body.task_id;
    const operatorOfB = as('ops-b', { scopes: ['tasks:read', 'tasks:admin'], orgId: 'org-b' });
    await expect(operatorOfB.get(`/v1/tasks/${id}`)).resolves.toMatchObject({ status: 404 });
    await expect(operatorOfB.get('/v1/tasks/running')).resolves.toMatchObject({ status: 200, body: { total_tasks: 0 } });
    await expect(operatorOfB.post(`/v1/tasks/${id}/complete`, { outcome: 'failed', error: 'stalled' })).resolves.toMatchObject({ status: 404 });
    const done = await service('org-a').post(`/v1/tasks/${id}/complete`, { outcome: 'succeeded', usage: { prompt_tokens: 5, completion_tokens: 5 } });
    expect(done.status).toBe(200);
    await expect(tenantOf(await lastEventOf(user))).resolves.toEqual({ version: '2', org_id: 'org-a', project_id: null, api_key_id: 'k3' });
  });

  it('an organisation’s hard budget counts all its users and refuses the round that would pass it, not other organisations’', async () => {
    const [x1, x2, y1] = [aUserId('x1'), aUserId('x2'), aUserId('y1')];
    await expect(admin().put('/v1/admin/orgs/org-x/budget', { period: 'day', tz: 'UTC', limit_tokens: 1000, mode: 'hard' })).resolves.toMatchObject({
      status: 200,
      body: { org_id: 'org-x', limit_tokens: 1000, used_tokens: 0 },
    });
    await expect(
      as(x1, { orgId: 'org-x' }).post('/v1/chat/messages', anAssistantMessage({ prompt_tokens: 500, completion_tokens: 100 })),
    ).resolves.toMatchObject({
      status: 201,
    });
    const x2api = as(x2, { orgId: 'org-x' });
    const spent = await x2api.post('/v1/chat/messages', anAssistantMessage({ prompt_tokens: 250, completion_tokens: 50 }));
    const refused = await x2api.post(`/v1/conversations/${spent.body.conversation_id}/messages`, aUserMessage({ max_tokens: 200 }));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: { org_id: 'org-x', used_tokens: 900, limit_tokens: 1000 } });
    await expect(x2api.post(`/v1/conversations/${spent.body.conversation_id}/messages`, aUserMessage({ max_tokens: 100 }))).resolves.toMatchObject({
      status: 201,
    });
    // x2's open round holds the last 100 tokens: x1 cannot start one, a user of org-y can.
    await expect(as(x1, { orgId: 'org-x' }).post('/v1/chat/messages', aUserMessage({ max_tokens: 1 }))).resolves.toMatchObject({ status: 429 });
    await expect(as(y1, { orgId: 'org-y' }).post('/v1/chat/messages', aUserMessage({ max_tokens: 5000 }))).resolves.toMatchObject({ status: 201 });

    await expect(x2api.get('/v1/orgs/org-x/budget')).resolves.toMatchObject({
      status: 200,
      body: { org_id: 'org-x', used_tokens: 900, reserved_tokens: 100, remaining_tokens: 0 },
    });
    await expect(as(y1, { orgId: 'org-y' }).get('/v1/orgs/org-x/budget')).resolves.toMatchObject({ status: 403 });
    await expect(admin('org-y').put('/v1/admin/orgs/org-x/budget', { period: 'day', tz: 'UTC', limit_tokens: 1, mode: 'hard' })).resolves.toMatchObject({
      status: 403,
    });
    await expect(admin('org-y').delete('/v1/admin/orgs/org-x/budget')).resolves.toMatchObject({ status: 403 });
    await expect(admin('org-x').delete('/v1/admin/orgs/org-x/budget')).resolves.toMatchObject({ status: 204 });
    await expect(as(x1, { orgId: 'org-x' }).post('/v1/chat/messages', aUserMessage({ max_tokens: 1 }))).resolves.toMatchObject({ status: 201 });
    await expect(gw.db.query(`SELECT action, org_id, user_id FROM chat.budget_changes WHERE org_id = 'org-x' ORDER BY at`)).resolves.toMatchObject({
      rows: [
        { action: 'put', org_id: 'org-x', user_id: null },
        { action: 'delete', org_id: 'org-x', user_id: null },
      ],
    });
  });

  it('rounds of many users of one organisation are serialised on its budget: room for 3 admits exactly 3', async () => {
    await expect(admin().put('/v1/admin/orgs/org-z/budget', { period: 'day', tz: 'UTC', limit_tokens: 300, mode: 'hard' })).resolves.toMatchObject({
      status: 200,
    });
    const users = Array.from({ length: 10 }, () => aUserId('z'));
    const results = await Promise.all(users.map((u) => as(u, { orgId: 'org-z' }).post('/v1/chat/messages', aUserMessage({ max_tokens: 100 }))));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
  });
});
