import { randomBytes } from 'node:crypto';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, createTestDatabase } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import type { paths as GatewayPaths } from '../apps/chat-gateway/test/openapi';
import { LedgerTestApp, startLedger } from '../apps/ledger-consumer/test/ledger-test-app';
import type { paths as LedgerPaths } from '../apps/ledger-consumer/test/openapi';

/**
 * Two organisations (and users of none) write through the gateway: messages, adjustments, a usage record and a task.
 * The gateway's outbox rows are applied by the ledger exactly as the consumer applies records from Kafka (the relay
 * publishes these bytes). Then every usage view keeps the organisations apart: an organisation's reader
 * (usage:read_org) sees its own organisation's usage in each of them and cannot name the other one; operators see
 * both, grouped and filtered by organisation, project and API key.
 */
describe('tenants: usage of two organisations stays apart in every view', () => {
  const secret = randomBytes(32).toString('hex');
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;
  const a1 = aUserId('a1');
  const a2 = aUserId('a2');
  const b1 = aUserId('b1');
  const n1 = aUserId('n1');
  const token = (userId: string, o: { scopes?: string[]; orgId?: string; projectId?: string } = {}) => issueToken({ userId, ...o }, secret);
  const gateway = (t: Promise<string>) => gw.http.as(t).typed<GatewayPaths>();
  const reader = (t: Promise<string>) => ledger.http.as(t).typed<LedgerPaths>();
  const orgA = () => reader(token('analyst-a', { scopes: ['usage:read_org'], orgId: 'org-a' }));
  const orgB = () => reader(token('analyst-b', { scopes: ['usage:read_org'], orgId: 'org-b' }));
  const operator = () => reader(token('ops', { scopes: ['usage:read_all'] }));
  const serviceScopes = ['tokens:adjust', 'usage:write', 'tasks:write'];
  const conversations: Record<string, string> = {};
  let delivered = 0;

  /** What the relay would publish since the last call, applied by the ledger (Kafka order = outbox id order here). */
  const deliver = async () => {
    const { rows } = await gw.db.query(`SELECT id, partition_key, payload FROM outbox.events WHERE id > $1 ORDER BY id`, [delivered]);
    const records = rows.map((r) => ({
      topic: 'token-events',
      partition: 0,
      offset: String(r.id),
      key: Buffer.from(r.partition_key),
      value: Buffer.from(JSON.stringify(r.payload)),
      headers: {},
      timestamp: String(Date.now()),
    }));
    const result = await ledger.apply.execute(records);
    expect(result.deadLetters).toEqual([]);
    delivered = Number(rows.at(-1)?.id ?? delivered);
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase('tenants');
    gw = await startGateway({ databaseUrl, jwtSecret: secret, env: { RATE_LIMIT_WRITES_PER_SECOND: '0' } });
    ledger = await startLedger({ databaseUrl, jwtSecret: secret });
    const now = new Date().toISOString();
    const assistant = (prompt: number, completion: number, extra: Record<string, unknown> = {}) =>
      ({ role: 'assistant', content: 'answer', model: 'gpt-4o', usage: { prompt_tokens: prompt, completion_tokens: completion }, ...extra }) as const;

    // a1 (org-a, project p1 by its token): a question, then a 120-token answer through API key key-a1.
    const apiA1 = gateway(token(a1, { orgId: 'org-a', projectId: 'p1' }));
    const question = await apiA1.post('/v1/chat/messages', { role: 'user', content: 'question' });
    expect(question.status).toBe(201);
    conversations.a1 = question.body.conversation_id;
    const answer = await apiA1.post('/v1/conversations/{id}/messages', { ...assistant(100, 20), api_key_id: 'key-a1' }, { path: { id: conversations.a1 } });
    expect(answer.status).toBe(201);
    // a2 (org-a, no project): 60; b1 (org-b): 1200; n1 (no organisation): 10.
    for (const [user, orgId, prompt, completion] of [
      [a2, 'org-a', 50, 10],
      [b1, 'org-b', 1000, 200],
      [n1, undefined, 7, 3],
    ] as const) {
      const res = await gateway(token(user, { orgId })).post('/v1/chat/messages', assistant(prompt, completion));
      expect(res.status).toBe(201);
      conversations[user === a2 ? 'a2' : user === b1 ? 'b1' : 'n1'] = res.body.conversation_id;
    }

    // A service of org-a: +5 on a1's conversation (its project p1), a usage record of a2 (30), a task of a1 (10).
    const serviceA = gateway(token('svc-a', { scopes: serviceScopes, orgId: 'org-a' }));
    const adjust = (user: string, delta: number, extra: Record<string, unknown> = {}) => ({
      user_id: user,
      tokens_delta: delta,
      reason: 'correction',
      triggered_at: now,
      ...extra,
    });
    await expect(serviceA.post('/v1/token-adjustments', adjust(a1, 5, { conversation_id: conversations.a1 }))).resolves.toMatchObject({ status: 202 });
    await expect(
      serviceA.put(
        '/v1/usage-records/{source}/{external_id}',
        { user_id: a2, usage: { prompt_tokens: 30, completion_tokens: 0 }, occurred_at: now, revision: 1 },
        { path: { source: 'agents', external_id: 'run-1' } },
      ),
    ).resolves.toMatchObject({ status: 201, body: { org_id: 'org-a' } });
    const task = await serviceA.post('/v1/tasks', { source: 'titles', external_id: 't-1', kind: 'title_generation', user_id: a1 });
    expect(task.status).toBe(201);
    await expect(
      serviceA.post(
        '/v1/tasks/{task_id}/complete',
        { outcome: 'succeeded', usage: { prompt_tokens: 8, completion_tokens: 2 } },
        { path: { task_id: task.body.task_id } },
      ),
    ).resolves.toMatchObject({ status: 200, body: { org_id: 'org-a' } });

    // A service of org-b: -100 for b1. Naming a user of org-a is refused and writes nothing.
    const serviceB = gateway(token('svc-b', { scopes: serviceScopes, orgId: 'org-b' }));
    await expect(serviceB.post('/v1/token-adjustments', adjust(b1, -100))).resolves.toMatchObject({ status: 202 });
    const outboxBefore = (await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events`)).rows[0].n;
    const refused = await gw.http.as(token('svc-b', { scopes: serviceScopes, orgId: 'org-b' })).post('/v1/token-adjustments', adjust(a1, 1_000));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'TENANT_MISMATCH', details: [{ field: 'user_id' }] } } });
    // A platform service (no organisation in its token) names the organisation; the wrong one is refused too.
    const platform = gw.http.as(token('billing', { scopes: ['tokens:adjust'] }));
    await expect(platform.post('/v1/token-adjustments', adjust(b1, 1, { org_id: 'org-a' }))).resolves.toMatchObject({
      status: 403,
      body: { error: { code: 'TENANT_MISMATCH' } },
    });
    expect((await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events`)).rows[0].n).toBe(outboxBefore);
    await expect(platform.post('/v1/token-adjustments', adjust(b1, 1, { org_id: 'org-b' }))).resolves.toMatchObject({ status: 202 });

    await deliver();
  }, 120_000);
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  // org-a: 120 + 60 + 5 + 30 + 10; org-b: 1200 - 100 + 1; no organisation: 10.
  const TOTAL = { 'org-a': 225, 'org-b': 1101, none: 10 };

  it('summaries: an organisation reads its own users and organisation only; operators group by organisation, project and API key', async () => {
    const byUser = await orgA().get('/v1/usage/summary', { query: { group_by: 'user' } });
    expect(byUser.status).toBe(200);
    expect(byUser.body).toMatchObject({ user_id: null, org_id: 'org-a', totals: { tokens_delta: TOTAL['org-a'] } });
    expect(Object.fromEntries(byUser.body.groups.map((g) => [g.user_id, g.tokens_delta]))).toEqual({ [a1]: 135, [a2]: 90 });
    const own = await orgB().get('/v1/usage/summary', { query: { group_by: 'org' } });
    expect(own.body.groups.map((g) => [g.org_id, g.tokens_delta])).toEqual([['org-b', TOTAL['org-b']]]);

    const everyone = await operator().get('/v1/usage/summary', { query: { group_by: 'org' } });
    expect(everyone.body.groups.map((g) => [g.org_id, g.tokens_delta])).toEqual([
      ['org-b', TOTAL['org-b']],
      ['org-a', TOTAL['org-a']],
      [null, TOTAL.none],
    ]);
    const projects = await operator().get('/v1/usage/summary', { query: { group_by: 'project', org_id: 'org-a' } });
    expect(projects.body.groups.map((g) => [g.project_id, g.tokens_delta])).toEqual([
      // a1's conversation is of project p1: its messages and the adjustment on it; a2's usage and a1's task are of none.
      ['p1', 125],
      [null, 100],
    ]);
    const keys = await orgA().get('/v1/usage/summary', { query: { group_by: 'api_key' } });
    expect(keys.body.groups.map((g) => [g.api_key_id, g.tokens_delta])).toEqual([
      ['key-a1', 120],
      [null, 105],
    ]);
    const filtered = await operator().get('/v1/usage/summary', { query: { group_by: 'model', api_key_id: 'key-a1' } });
    expect(filtered.body.totals).toMatchObject({ tokens_delta: 120, events_count: 1 });
  });

  it('timeline, daily and the journal (JSON and CSV) hold the organisation’s usage and nothing else', async () => {
    for (const [api, org] of [
      [orgA, 'org-a'],
      [orgB, 'org-b'],
    ] as const) {
      const timeline = await api().get('/v1/usage/timeline', { query: { interval: 'day' } });
      expect(timeline.status).toBe(200);
      expect(timeline.body).toMatchObject({ org_id: org, totals: { tokens_delta: TOTAL[org] } });
      const daily = await api().get('/v1/usage/daily', { query: { days: 2 } });
      expect(daily.body).toMatchObject({ org_id: org, totals: { tokens_delta: TOTAL[org] } });
      const entries = await api().get('/v1/usage/entries', { query: { limit: 100 } });
      expect(entries.status).toBe(200);
      expect(new Set(entries.body.list.map((e) => e.org_id))).toEqual(new Set([org]));
      expect(entries.body.list.reduce((sum, e) => sum + e.tokens_delta, 0)).toBe(TOTAL[org]);
    }
    const entries = await orgA().get('/v1/usage/entries', { query: { limit: 100 } });
    // Six events of org-a: a1's question and answer, a2's answer, the adjustment, the usage record, the task.
    expect(entries.body.list).toHaveLength(6);
    expect(entries.body.list.find((e) => e.api_key_id === 'key-a1')).toMatchObject({ user_id: a1, project_id: 'p1', tokens_delta: 120 });

    const csv = await ledger.http.as(token('analyst-a', { scopes: ['usage:read_org'], orgId: 'org-a' })).get('/v1/usage/entries', { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    const [header, ...lines] = String(csv.body).trim().split('\n');
    const orgColumn = header!.split(',').indexOf('org_id');
    expect(orgColumn).toBeGreaterThanOrEqual(0);
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line.split(',')[orgColumn]).toBe('org-a');
    const summaryCsv = await ledger.http
      .as(token('analyst-b', { scopes: ['usage:read_org'], orgId: 'org-b' }))
      .get('/v1/usage/summary?group_by=user', { accept: 'text/csv' });
    expect(String(summaryCsv.body).trim().split('\n').slice(1)).toEqual([expect.stringMatching(new RegExp(`^${b1},`))]);
  });

  it('balances, conversations and sessions: the organisation’s own, the other’s are forbidden or do not exist', async () => {
    await expect(orgA().get('/v1/users/{user_id}/usage', { path: { user_id: a1 } })).resolves.toMatchObject({
      status: 200,
      body: { org_id: 'org-a', tokens_total: 135 },
    });
    const plain = ledger.http.as(token('analyst-a', { scopes: ['usage:read_org'], orgId: 'org-a' }));
    await expect(plain.get(`/v1/users/${b1}/usage`)).resolves.toMatchObject({ status: 403 });
    await expect(plain.get(`/v1/users/${n1}/usage`)).resolves.toMatchObject({ status: 403 });
    await expect(plain.get(`/v1/conversations/${conversations.a1}/usage`)).resolves.toMatchObject({
      status: 200,
      body: { org_id: 'org-a', project_id: 'p1', tokens_total: 125 },
    });
    await expect(plain.get(`/v1/conversations/${conversations.b1}/usage`)).resolves.toMatchObject({ status: 404 });

    const sessions = await orgA().get('/v1/usage/sessions', { query: { limit: 100 } });
    expect(sessions.body.list.map((s) => s.conversation_id).sort()).toEqual([conversations.a1, conversations.a2].sort());
    const p1 = await operator().get('/v1/usage/sessions', { query: { project_id: 'p1' } });
    expect(p1.body.list).toEqual([expect.objectContaining({ conversation_id: conversations.a1, org_id: 'org-a', project_id: 'p1' })]);
    const ofB = await operator().get('/v1/usage/sessions', { query: { org_id: 'org-b' } });
    expect(ofB.body.list.map((s) => s.conversation_id)).toEqual([conversations.b1]);
  });

  it('an organisation’s reader cannot name the other organisation or its users in any view', async () => {
    const plain = ledger.http.as(token('analyst-a', { scopes: ['usage:read_org'], orgId: 'org-a' }));
    for (const path of [
      `/v1/usage/summary?org_id=org-b`,
      `/v1/usage/summary?user_id=${b1}`,
      `/v1/usage/entries?org_id=org-b`,
      `/v1/usage/entries?user_id=${b1}`,
      `/v1/usage/timeline?user_id=${b1}`,
      `/v1/usage/daily?org_id=org-b`,
      `/v1/usage/sessions?user_id=${b1}`,
      `/v1/usage/sessions?org_id=org-b`,
    ]) {
      await expect(plain.get(path)).resolves.toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    }
    // Its own users by name, and its own organisation by name, are fine.
    await expect(plain.get(`/v1/usage/summary?group_by=model&user_id=${a2}&org_id=org-a`)).resolves.toMatchObject({
      status: 200,
      body: { totals: { tokens_delta: 90 } },
    });
    // A token naming an organisation is confined to it even with usage:read_all.
    const confined = ledger.http.as(token('auditor', { scopes: ['usage:read_all'], orgId: 'org-b' }));
    await expect(confined.get('/v1/usage/summary?group_by=org')).resolves.toMatchObject({ status: 200, body: { groups: [{ org_id: 'org-b' }] } });
    await expect(confined.get(`/v1/users/${a1}/usage`)).resolves.toMatchObject({ status: 403 });
    // Operators' views of every organisation (dead letters, sequence gaps) are not for it.
    await expect(confined.get('/v1/admin/ledger/dead-letters')).resolves.toMatchObject({ status: 403, body: { error: { details: [{ field: 'org_id' }] } } });
    await expect(confined.get('/v1/admin/ledger/sequence-gaps')).resolves.toMatchObject({ status: 403 });
  });
});
