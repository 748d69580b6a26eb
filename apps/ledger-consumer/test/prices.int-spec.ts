import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Scopes } from '@chat-ledger/platform';
import { aUserId, errorOf, TypedHttpClient } from '@chat-ledger/testing';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { aMessageEventV2, anAdjustmentEventV2, recordsOf, TokenEvent } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';
import type { paths } from './openapi';

type Api = TypedHttpClient<paths>;
type SummaryQuery = NonNullable<paths['/v1/usage/summary']['get']['parameters']['query']>;

/**
 * The price book and cost, checked against costs computed by hand here (micro-USD; per event the exact sum
 * is rounded once, half away from zero). gpt-4o: 2.50 / 1.25 cached / 3.125 cache write / 10.00 output
 * (reasoning = output) per 1M tokens from 1 November, 3.00 / 1.50 / (input) / 12.00 / 15.00 from 16 November.
 */
describe('price book and cost', () => {
  let ledger: LedgerTestApp;
  let ops: Api;
  const user = aUserId('payer');
  const conversation = randomUUID();
  const usage = { prompt_tokens: 1000, cached_tokens: 200, cache_write_tokens: 100, completion_tokens: 500, reasoning_tokens: 100 };
  const e1 = aMessageEventV2({ userId: user, conversationId: conversation, usage, channel: 'web', operation: 'chat', at: '2026-11-10T10:00:00.000000Z' });
  const e2 = aMessageEventV2({ userId: user, conversationId: conversation, usage, channel: 'mobile', operation: 'chat', at: '2026-11-20T10:00:00.000000Z' });
  const e3 = anAdjustmentEventV2({
    userId: user,
    conversationId: conversation,
    model: 'gpt-4o',
    delta: 1000,
    operation: 'title_generation',
    at: '2026-11-21T08:00:00.000000Z',
  });
  const e4 = aMessageEventV2({
    userId: user,
    model: 'mystery-model',
    usage: { prompt_tokens: 100, completion_tokens: 50 },
    channel: 'api',
    at: '2026-11-22T10:00:00.000000Z',
  });
  const e5 = aMessageEventV2({
    userId: user,
    conversationId: conversation,
    role: 'user',
    model: null,
    usage: { prompt_tokens: 0, completion_tokens: 0 },
    at: '2026-11-22T11:00:00.000000Z',
  });
  const events: TokenEvent[] = [e1, e2, e3, e4, e5];
  // 700 input × 2.5 + 200 cached × 1.25 + 100 cache write × 3.125 + 400 output × 10 + 100 reasoning × 10 = 7312.5 → 7313
  const E1 = 7313;
  // 700 × 3 + 200 × 1.5 + 100 × 3 (cache write at the input price) + 400 × 12 + 100 × 15 = 9000
  const E2 = 9000;
  // an adjustment is priced as input tokens of its model: 1000 × 3
  const E3 = 3000;

  beforeAll(async () => {
    ledger = await startLedger();
    ops = ledger.http.as(ledger.token('finance-ops', [Scopes.pricesAdmin, Scopes.usageReadAll])).typed<paths>();
    const v1 = await ops.put(
      '/v1/admin/prices/{model}',
      {
        effective_from: '2026-11-01T00:00:00Z',
        input_per_mtok: '2.50',
        cached_input_per_mtok: '1.25',
        cache_write_per_mtok: '3.125',
        output_per_mtok: '10.00',
      },
      gpt4o,
    );
    expect(v1.status).toBe(201);
    const v2 = await ops.put(
      '/v1/admin/prices/{model}',
      {
        effective_from: '2026-11-16T00:00:00Z',
        currency: 'USD',
        input_per_mtok: '3',
        cached_input_per_mtok: '1.5',
        output_per_mtok: '12',
        reasoning_per_mtok: '15.00',
      },
      gpt4o,
    );
    expect(v2.status).toBe(201);
    await ledger.apply.execute(recordsOf(events));
  });
  afterAll(() => ledger?.close());

  const gpt4o = { path: { model: 'gpt-4o' } };
  const november = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
  const summary = (query: SummaryQuery) => ops.get('/v1/usage/summary', { query: { ...november, ...query } });

  it('keeps every version and serves them newest first; the current one first in the list', async () => {
    const res = await ops.get('/v1/admin/prices/{model}', gpt4o);
    expect(res.status).toBe(200);
    expect(
      res.body.versions.map((v) => [
        v.effective_from,
        v.input_per_mtok,
        v.cached_input_per_mtok,
        v.cache_write_per_mtok,
        v.output_per_mtok,
        v.reasoning_per_mtok,
      ]),
    ).toEqual([
      ['2026-11-16T00:00:00.000000Z', '3.00', '1.50', null, '12.00', '15.00'],
      ['2026-11-01T00:00:00.000000Z', '2.50', '1.25', '3.125', '10.00', null],
    ]);
    expect(res.body.versions[0]).toMatchObject({ currency: 'USD', created_by: 'finance-ops' });
    const all = await ops.get('/v1/admin/prices');
    expect(all.body.currency).toBe('USD');
    expect(all.body.models).toEqual([
      expect.objectContaining({ model: 'gpt-4o', current: expect.objectContaining({ effective_from: '2026-11-16T00:00:00.000000Z' }) }),
    ]);
  });

  it('prices every event with the price in effect when its tokens were spent: a mid-month change shows both prices', async () => {
    const res = await summary({ group_by: 'model' });
    expect(res.status).toBe(200);
    const byModel = Object.fromEntries(res.body.groups.map((g) => [String(g.model), [g.cost_micros, g.unpriced_events, g.events_count]]));
    expect(byModel).toEqual({ 'gpt-4o': [E1 + E2 + E3, 0, 3], 'mystery-model': [null, 1, 1], null: [0, 0, 1] });
    expect(res.body.totals).toMatchObject({ cost_micros: E1 + E2 + E3, unpriced_events: 1, cache_write_tokens: 200, events_count: 5 });
    expect(res.body.currency).toBe('USD');

    const entries = await ops.get('/v1/usage/entries', { query: { user_id: user, limit: 10 } });
    const cost = Object.fromEntries(entries.body.list.map((e) => [e.event_id, [e.cost_micros, e.priced_with]]));
    expect(cost).toEqual({
      [e1.id]: [E1, '2026-11-01T00:00:00.000000Z'],
      [e2.id]: [E2, '2026-11-16T00:00:00.000000Z'],
      [e3.id]: [E3, '2026-11-16T00:00:00.000000Z'],
      [e4.id]: [null, null],
      [e5.id]: [0, null],
    });
  });

  it('an unpriced model is unpriced in every view, never free', async () => {
    const api: Api = ledger.http.as(ledger.token(user)).typed<paths>();
    await expect(api.get('/v1/users/{user_id}/usage', { path: { user_id: user } })).resolves.toMatchObject({
      body: { cost_micros: E1 + E2 + E3, unpriced_events: 1 },
    });
    await expect(api.get('/v1/conversations/{id}/usage', { path: { id: conversation } })).resolves.toMatchObject({
      body: { cost_micros: E1 + E2 + E3, unpriced_events: 0 },
    });
    const timeline = await api.get('/v1/usage/timeline', { query: { interval: 'day', from: '2026-11-22T00:00:00Z', to: '2026-11-23T00:00:00Z' } });
    expect(timeline.body.buckets).toEqual([expect.objectContaining({ events_count: 2, cost_micros: 0, unpriced_events: 1 })]);
    const onlyMystery = await api.get('/v1/usage/summary', { query: { group_by: 'day', model: 'mystery-model' } });
    expect(onlyMystery.body.groups).toEqual([expect.objectContaining({ day: '2026-11-22', cost_micros: null, unpriced_events: 1 })]);
    const sessions = await api.get('/v1/usage/sessions');
    expect(sessions.body.list.find((s) => s.conversation_id === conversation)).toMatchObject({ cost_micros: E1 + E2 + E3, unpriced_events: 0 });
  });

  it('groups and filters by channel, operation and source', async () => {
    const byChannel = await summary({ group_by: 'channel' });
    expect(Object.fromEntries(byChannel.body.groups.map((g) => [String(g.channel), g.cost_micros]))).toEqual({ web: E1, mobile: E2, api: null, null: E3 });
    const byOperation = await summary({ group_by: 'operation' });
    expect(Object.fromEntries(byOperation.body.groups.map((g) => [String(g.operation), g.cost_micros]))).toEqual({
      chat: E1 + E2,
      title_generation: E3,
      null: 0,
    }); // e4 (unpriced) and e5 (0 tokens, priced at 0)
    const bySource = await summary({ group_by: 'source' });
    expect(Object.fromEntries(bySource.body.groups.map((g) => [g.source, g.events_count]))).toEqual({ 'chat-gateway': 4, 'title-service': 1 });
    const titleOnly = await ops.get('/v1/usage/timeline', { query: { interval: 'month', ...november, operation: 'title_generation' } });
    expect(titleOnly.body.totals).toMatchObject({ events_count: 1, cost_micros: E3, tokens_delta: 1000 });
    const entries = await ops.get('/v1/usage/entries', { query: { channel: 'mobile', user_id: user } });
    expect(entries.body.list.map((e) => e.event_id)).toEqual([e2.id]);
  });

  it('answers Accept: text/csv with the same query: summary rows with cost, and every journal entry streamed', async () => {
    const csv = await ops.get('/v1/usage/summary', { query: { group_by: 'channel', ...november }, headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="usage-summary.csv"');
    const [header, ...lines] = (csv.body as unknown as string).trim().split('\r\n');
    const columns = header!.split(',');
    expect(columns).toEqual(expect.arrayContaining(['channel', 'events_count', 'cost_micros', 'unpriced_events', 'cache_write_tokens']));
    const at = (line: string, column: string) => line.split(',')[columns.indexOf(column)];
    expect(lines.map((l) => [at(l, 'channel'), at(l, 'cost_micros')]).sort()).toEqual(
      [
        ['', String(E3)],
        ['api', ''],
        ['mobile', String(E2)],
        ['web', String(E1)],
      ].sort(),
    );

    // The journal export is not one page: it streams every matching entry (here more than the API's page size).
    // They lie outside the months the other examples price and reprice.
    const many = Array.from({ length: 600 }, (_, i) =>
      anAdjustmentEventV2({ userId: '=cmd|calc', delta: i + 1, model: 'gpt-4o', at: `2025-06-25T${String(i % 24).padStart(2, '0')}:00:00.000000Z` }),
    );
    await ledger.apply.execute(recordsOf(many, { firstOffset: 1000 }));
    const entries = await ops.get('/v1/usage/entries', { query: { user_id: '=cmd|calc', limit: 5 }, headers: { accept: 'text/csv' } });
    const rows = (entries.body as unknown as string).trim().split('\r\n');
    expect(rows).toHaveLength(1 + 600);
    expect(rows[0]!.split(',')).toEqual(expect.arrayContaining(['event_id', 'cost_micros', 'usage_prompt_tokens', 'channel', 'operation']));
    // A value a spreadsheet would run as a formula is written as text.
    expect(rows[1]).toContain(",'=cmd|calc,");
    const json = await ops.get('/v1/usage/entries', { query: { user_id: '=cmd|calc', limit: 5 } });
    expect(json.body.list).toHaveLength(5);
    await expect(ops.http.get('/v1/usage/summary?group_by=nope', { accept: 'text/csv' })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'group_by' }] } },
    });
  });

  it('ledger.event_cost_micros (what the gateway calls for events not applied yet) prices exactly like the journal', async () => {
    const { rows } = await ledger.db.query(
      `SELECT e.event_id, e.cost_micros::float8 AS journal,
              ledger.event_cost_micros(e.event_type, e.model, e.effective_at, e.tokens_delta, e.prompt_tokens, e.completion_tokens,
                                       e.cached_tokens, e.cache_write_tokens, e.reasoning_tokens)::float8 AS gateway
         FROM ledger.entries e WHERE e.user_id = $1 AND e.event_type <> 'ledger.cost.corrected'`,
      [user],
    );
    expect(rows.length).toBeGreaterThanOrEqual(events.length);
    for (const row of rows) expect({ event: row.event_id, cost: row.gateway }).toEqual({ event: row.event_id, cost: row.journal });
  });

  it('refuses bad prices with the field named, and writes nothing', async () => {
    const base = { effective_from: '2026-12-01T00:00:00Z', input_per_mtok: '1', output_per_mtok: '2' };
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ ...base, input_per_mtok: '-1' }, 'input_per_mtok', 400],
      [{ ...base, output_per_mtok: '0.0000001' }, 'output_per_mtok', 400],
      [{ ...base, input_per_mtok: 2.5 }, 'input_per_mtok', 400],
      [{ ...base, currency: 'EUR' }, 'currency', 400],
      [{ ...base, effective_from: '2026-02-30T00:00:00Z' }, 'effective_from', 400],
      [{ ...base, effective_from: '2026-11-16T00:00:00Z' }, 'effective_from', 409], // a version exists: no overwrite
      [{ ...base, surprise: true }, 'surprise', 400],
    ];
    for (const [body, field, status] of cases) {
      // Bodies the typed client would not compile: sent as they are.
      const res = await ops.http.put('/v1/admin/prices/gpt-4o', body);
      expect({ field, status: res.status }).toEqual({ field, status });
      expect(errorOf(res).details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    expect((await ops.get('/v1/admin/prices/{model}', gpt4o)).body.versions).toHaveLength(2);
    await expect(ops.get('/v1/admin/prices/{model}', { path: { model: 'no-such-model' } })).resolves.toMatchObject({
      status: 404,
      body: { error: { code: 'PRICE_NOT_FOUND' } },
    });
    const plain: Api = ledger.http.as(ledger.token(user)).typed<paths>();
    await expect(plain.put('/v1/admin/prices/{model}', base, gpt4o)).resolves.toMatchObject({ status: 403 });
    await expect(plain.as(ledger.token('reader', [Scopes.usageReadAll])).get('/v1/admin/prices')).resolves.toMatchObject({ status: 403 });
    for (const [body, field] of [
      [{ from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
      [{ from: '2026-11-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
      [{ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', models: ['no-such-model'] }, 'models'],
      [{ from: 'yesterday', to: '2026-12-01T00:00:00Z' }, 'from'],
    ] as const) {
      const res = await ops.post('/v1/admin/prices/reprice', { ...body, models: 'models' in body ? [...body.models] : undefined });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(errorOf(res).details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
  });

  it('repricing corrects through journal entries, changes totals by exactly the difference, and runs once', async () => {
    // The unknown model gets a price from the start of the month, gpt-4o a third version from the 18th.
    await expect(
      ops.put(
        '/v1/admin/prices/{model}',
        { effective_from: '2026-11-01T00:00:00Z', input_per_mtok: '1.00', output_per_mtok: '2.00' },
        { path: { model: 'mystery-model' } },
      ),
    ).resolves.toMatchObject({
      status: 201,
      body: { applied_events_since: 1 },
    });
    await ops.put(
      '/v1/admin/prices/{model}',
      { effective_from: '2026-11-18T00:00:00Z', input_per_mtok: '4', cached_input_per_mtok: '2', output_per_mtok: '16', reasoning_per_mtok: '20' },
      gpt4o,
    );
    // e2 at the new version: 700 × 4 + 200 × 2 + 100 × 4 + 400 × 16 + 100 × 20 = 12000 (+3000); e3: 1000 × 4 = 4000 (+1000); e4: 100 × 1 + 50 × 2 = 200
    const range = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    const dry = await ops.post('/v1/admin/prices/reprice', { ...range, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ reprice_id: null, dry_run: true, events_examined: 5, events_corrected: 3, cost_delta_micros: 4200, newly_priced: 1 });
    await expect(summary({ group_by: 'model' })).resolves.toMatchObject({ body: { totals: { cost_micros: E1 + E2 + E3, unpriced_events: 1 } } });

    const done = await ops.post('/v1/admin/prices/reprice', range);
    expect(done.body).toMatchObject({ reprice_id: expect.any(String), dry_run: false, events_corrected: 3, cost_delta_micros: 4200, newly_priced: 1 });
    expect(done.body.by_model).toEqual([
      { model: 'gpt-4o', events: 2, cost_delta_micros: 4000, newly_priced: 0 },
      { model: 'mystery-model', events: 1, cost_delta_micros: 200, newly_priced: 1 },
    ]);
    const after = await summary({ group_by: 'model' });
    expect(Object.fromEntries(after.body.groups.map((g) => [String(g.model), [g.cost_micros, g.unpriced_events]]))).toEqual({
      'gpt-4o': [E1 + 12_000 + 4_000, 0],
      'mystery-model': [200, 0],
      null: [0, 0],
    });
    // The journal keeps the original rows; the corrections are rows of their own.
    const { rows } = await ledger.db.query(
      `SELECT event_type, cost_micros::int, corrects_event_id FROM ledger.entries WHERE corrects_event_id IS NOT NULL ORDER BY cost_micros`,
    );
    expect(rows).toEqual([
      { event_type: 'ledger.cost.corrected', cost_micros: 200, corrects_event_id: e4.id },
      { event_type: 'ledger.cost.corrected', cost_micros: 1000, corrects_event_id: e3.id },
      { event_type: 'ledger.cost.corrected', cost_micros: 3000, corrects_event_id: e2.id },
    ]);
    await expect(ledger.db.query(`SELECT cost_micros::int FROM ledger.entries WHERE event_id = $1`, [e2.id])).resolves.toMatchObject({
      rows: [{ cost_micros: E2 }],
    });
    await expect(ledger.db.query(`SELECT actor, entries_written, cost_delta_micros::int FROM ledger.reprices`)).resolves.toMatchObject({
      rows: [{ actor: 'finance-ops', entries_written: 3, cost_delta_micros: 4200 }],
    });

    // Run again: nothing left to correct. Apply the same events again (a replay): no cost changes either.
    await expect(ops.post('/v1/admin/prices/reprice', range)).resolves.toMatchObject({ body: { events_corrected: 0, cost_delta_micros: 0 } });
    await ledger.apply.execute(recordsOf(events));
    await expect(summary({ group_by: 'model' })).resolves.toMatchObject({
      body: { totals: { cost_micros: E1 + 16_000 + 200, unpriced_events: 0, events_count: 5 } },
    });
    // Counts leave corrections out; totals and costs equal the journal.
    await expect(new ReconcileService(ledger.app.get(DataSource)).check(5)).resolves.toMatchObject({ drifted: 0 });
  });
});
