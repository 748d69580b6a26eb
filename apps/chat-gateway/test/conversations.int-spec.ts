import { aUserId, anAssistantMessage, aUserMessage, errorOf, HttpResult, TypedHttpClient } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';
import type { components, paths } from './openapi';

type Conversation = components['schemas']['ConversationResponse'];

describe('conversations API', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());
  /** A user's client, typed by the gateway's OpenAPI document (and checked against it at run time). */
  const client = (): TypedHttpClient<paths> => gw.http.as(gw.token(aUserId())).typed<paths>();

  it('creates a conversation with its meta fields', async () => {
    const api = client();
    const res = await api.post('/v1/conversations', { title: 'Trip to Paris', model: 'gpt-4o', system_prompt: 'Be brief.' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual<Conversation>({
      conversation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Trip to Paris',
      has_title: true,
      model: 'gpt-4o',
      system_prompt: 'Be brief.',
      message_count: 0,
      last_message_at: null,
      status: 'active',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      tokens_total: 0,
    });
    await expect(api.get('/v1/conversations/{id}', { path: { id: res.body.conversation_id } })).resolves.toMatchObject({ status: 200, body: res.body });
  });

  it('accepts an empty body: a conversation without title', async () => {
    const res = await client().post('/v1/conversations', {});
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject<Partial<Conversation>>({ title: null, has_title: false });
  });

  it('lists newest activity first with pagination', async () => {
    const api = client();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.post('/v1/conversations', { title: `c${i}` })).body.conversation_id);
    // Activity in the oldest conversation moves it to the top.
    await api.post('/v1/conversations/{id}/messages', aUserMessage(), { path: { id: ids[0]! } });

    const page1 = await api.get('/v1/conversations', { query: { page: 1, page_size: 2 } });
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ page: 1, page_size: 2, total: 3, has_more: true });
    expect(page1.body.list.map((c) => c.conversation_id)).toEqual([ids[0], ids[2]]);
    const page2 = await api.get('/v1/conversations', { query: { page: 2, page_size: 2 } });
    expect(page2.body).toMatchObject({ total: 3, has_more: false });
    expect(page2.body.list.map((c) => c.conversation_id)).toEqual([ids[1]]);
    expect(Object.keys(page2.body.list[0]!)).toEqual(
      expect.arrayContaining(['conversation_id', 'title', 'has_title', 'message_count', 'last_message_at', 'status', 'created_at', 'tokens_total']),
    );
  });

  it('sort=created with a keyset cursor pages stably while messages arrive: every conversation once, in creation order', async () => {
    const api = client();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.post('/v1/conversations', { title: `k${i}` })).body.conversation_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: HttpResult<components['schemas']['ConversationPage']> = await api.get('/v1/conversations', {
        query: { sort: 'created', page_size: 3, cursor: cursor ?? undefined },
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.list.map((c) => c.conversation_id));
      cursor = res.body.next_cursor;
      // A message arrives in the oldest conversation between two pages: the order does not move under the reader.
      if (pages++ === 0) await api.post('/v1/conversations/{id}/messages', aUserMessage(), { path: { id: ids[0]! } });
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const createdCursor = (await api.get('/v1/conversations', { query: { sort: 'created', page_size: 1 } })).body.next_cursor!;
    const bad = await api.get('/v1/conversations', { query: { sort: 'activity', cursor: createdCursor } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details).toEqual([{ field: 'cursor', problem: 'was issued for sort=created, not sort=activity' }]);
    await expect(api.get('/v1/conversations', { query: { cursor: 'garbage' } })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'cursor' }] } },
    });
    await expect(api.get('/v1/conversations', { query: { page: 2, cursor: 'abc' } })).resolves.toMatchObject({ status: 400 });
    // Not a documented sort: the untyped client sends what the typed one would refuse to compile.
    await expect(api.http.get('/v1/conversations?sort=newest')).resolves.toMatchObject({ status: 400, body: { error: { details: [{ field: 'sort' }] } } });
  });

  it('answers Accept: text/csv with the same page, the next cursor in X-Next-Cursor', async () => {
    const api = gw.http.as(gw.token(aUserId()));
    const ids: string[] = [];
    for (const title of ['=HYPERLINK("x")', 'plain, with comma']) ids.push((await api.post('/v1/conversations', { title })).body.conversation_id);
    const csv = await api.get('/v1/conversations?sort=created&page_size=1', { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = (csv.body as string).trim().split('\r\n');
    expect(header!.split(',')).toEqual(expect.arrayContaining(['conversation_id', 'title', 'tokens_total', 'created_at']));
    expect(rows).toEqual([expect.stringContaining(`${ids[1]},"plain, with comma"`)]);
    const next = csv.headers.get('x-next-cursor');
    const rest = await api.get(`/v1/conversations?sort=created&page_size=1&cursor=${next}`, { accept: 'text/csv' });
    // A title a spreadsheet would run as a formula comes out as text.
    expect(rest.body).toContain(`${ids[0]},"'=HYPERLINK(""x"")"`);
    await expect(api.get('/v1/conversations?sort=nope', { accept: 'text/csv' })).resolves.toMatchObject({ status: 400 });
  });

  it('renames and archives; archived conversations leave the active list and appear under status=archived', async () => {
    const api = client();
    const id = (await api.post('/v1/conversations', {})).body.conversation_id;

    const renamed = await api.patch('/v1/conversations/{id}', { title: 'Named later' }, { path: { id } });
    expect(renamed.body).toMatchObject({ title: 'Named later', has_title: true, status: 'active' });
    const archived = await api.patch('/v1/conversations/{id}', { status: 'archived' }, { path: { id } });
    expect(archived.body.status).toBe('archived');

    await expect(api.get('/v1/conversations')).resolves.toMatchObject({ body: { total: 0, list: [] } });
    await expect(api.get('/v1/conversations', { query: { status: 'archived' } })).resolves.toMatchObject({ body: { total: 1 } });
    const cleared = await api.patch('/v1/conversations/{id}', { title: null, status: 'active' }, { path: { id } });
    expect(cleared.body).toMatchObject({ title: null, has_title: false, status: 'active' });
  });

  it('soft-deletes: hidden from lists and reads, rows kept', async () => {
    const api = client();
    const id = (await api.post('/v1/conversations', {})).body.conversation_id;
    const path = { id };
    await api.post('/v1/conversations/{id}/messages', anAssistantMessage(), { path });

    await expect(api.delete('/v1/conversations/{id}', { path })).resolves.toMatchObject({ status: 204 });

    await expect(api.get('/v1/conversations/{id}', { path })).resolves.toMatchObject({ status: 404 });
    await expect(api.get('/v1/conversations')).resolves.toMatchObject({ body: { total: 0 } });
    await expect(api.delete('/v1/conversations/{id}', { path })).resolves.toMatchObject({ status: 404 });
    await expect(api.post('/v1/conversations/{id}/messages', aUserMessage(), { path })).resolves.toMatchObject({ status: 404 });
    const { rows } = await gw.db.query(`SELECT status, deleted_at FROM chat.conversations WHERE id = $1`, [id]);
    expect(rows[0].status).toBe('deleted');
    expect(rows[0].deleted_at).not.toBeNull();
  });

  it('shows the ledger total once the ledger has counted the conversation', async () => {
    const api = client();
    const id = (await api.post('/v1/conversations', {})).body.conversation_id;
    // What the gateway may read of the ledger is the contract of its two views (the ledger-consumer owns and
    // migrates them); here they are stood in for with the same names and columns, to test the read path.
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await gw.db.query(`CREATE SCHEMA IF NOT EXISTS ledger;
      CREATE VIEW ledger.conversation_tokens_view AS
        SELECT * FROM (VALUES ('${id}'::uuid, 'u'::varchar, 4242::bigint)) AS v(conversation_id, user_id, tokens_total);
      CREATE VIEW ledger.message_tokens_view AS
        SELECT NULL::uuid AS message_id, NULL::uuid AS conversation_id, NULL::varchar AS user_id, 0::bigint AS tokens_total WHERE false;`);
    const { eventually } = await import('@chat-ledger/testing');
    await eventually(async () => expect((await api.get('/v1/conversations/{id}', { path: { id } })).body.tokens_total).toBe(4242), { timeoutMs: 8000 });
    await gw.db.query(`DROP SCHEMA ledger CASCADE`);
  });
});
