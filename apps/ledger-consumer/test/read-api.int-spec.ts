import { randomUUID } from 'node:crypto';
import { Scopes } from '@chat-ledger/platform';
import { aUserId, errorOf, HttpResult, TypedHttpClient } from '@chat-ledger/testing';
import { aMessageEvent, anAdjustmentEvent, recordsOf, TokenEvent } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';
import type { components, paths } from './openapi';

type Schemas = components['schemas'];
/** A client typed by the ledger's OpenAPI document, every response checked against it at run time. */
type Api = TypedHttpClient<paths>;

describe('usage read API', () => {
  let ledger: LedgerTestApp;
  const [alice, bob, carol, dave, erin] = ['alice', 'bob', 'carol', 'dave', 'erin'].map((p) => aUserId(p)) as [string, string, string, string, string];
  const [c1, c2, c3] = [randomUUID(), randomUUID(), randomUUID()];
  const [m1, m5] = [randomUUID(), randomUUID()];
  let api: { alice: Api; bob: Api; admin: Api; anonymous: Api };
  const as = (userId: string): Api => ledger.http.as(ledger.token(userId)).typed<paths>();

  const aliceEvents: TokenEvent[] = [
    aMessageEvent({
      userId: alice,
      conversationId: c1,
      messageId: m1,
      at: '2026-03-10T09:15:00.000000Z',
      usage: { prompt_tokens: 100, completion_tokens: 50 },
    }),
    aMessageEvent({
      userId: alice,
      conversationId: c1,
      role: 'user',
      model: null,
      at: '2026-03-10T09:45:00.500000Z',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
    }),
    aMessageEvent({
      userId: alice,
      conversationId: c1,
      model: 'gpt-4o-mini',
      at: '2026-03-10T11:05:00.000000Z',
      usage: { prompt_tokens: 30, completion_tokens: 20, cached_tokens: 5, reasoning_tokens: 7 },
    }),
    anAdjustmentEvent({ userId: alice, conversationId: c1, messageId: m1, delta: -20, reason: 'refund', at: '2026-03-10T12:00:00.000000Z' }),
    anAdjustmentEvent({ userId: alice, conversationId: c1, delta: 15, reason: 'title_generation', at: '2026-03-10T09:50:00.000000Z' }),
    aMessageEvent({ userId: alice, conversationId: c2, at: '2026-03-11T08:00:00.000000Z', usage: { prompt_tokens: 10, completion_tokens: 10 } }),
    anAdjustmentEvent({ userId: alice, delta: 7, reason: 'correction', at: '2026-03-12T00:00:00.000000Z' }),
  ];
  const bobEvents: TokenEvent[] = [
    aMessageEvent({
      userId: bob,
      conversationId: c3,
      messageId: m5,
      model: 'claude-sonnet',
      at: '2026-03-10T10:00:00.000000Z',
      usage: { prompt_tokens: 40, completion_tokens: 60 },
    }),
    // names only the message: counts for the message (and bob), not for a conversation
    anAdjustmentEvent({ userId: bob, messageId: m5, delta: 5, reason: 'summarisation', at: '2026-03-10T10:10:00.000000Z' }),
  ];
  const carolAt = (at: string, tokens: number) => aMessageEvent({ userId: carol, at, usage: { prompt_tokens: tokens, completion_tokens: 0 } });
  const carolEvents: TokenEvent[] = [
    carolAt('2026-03-28T12:00:00.000000Z', 10), // Sat 28 March, CET
    carolAt('2026-03-28T23:30:00.000000Z', 5), // Sun 29 March 00:30 CET
    carolAt('2026-03-29T12:00:00.000000Z', 20), // Sun 29 March 14:00 CEST (the 23-hour day)
    carolAt('2026-03-29T22:30:00.000000Z', 30), // Mon 30 March 00:30 CEST
    carolAt('2026-10-24T22:30:00.000000Z', 13), // Sun 25 October 00:30 CEST
    carolAt('2026-10-25T00:30:00.000000Z', 7), // 02:30 CEST, the first 02:00 hour
    carolAt('2026-10-25T01:30:00.000000Z', 11), // 02:30 CET, the second 02:00 hour
    carolAt('2026-10-25T23:30:00.000000Z', 17), // Mon 26 October 00:30 CET
  ];
  const daveEvents: TokenEvent[] = [
    aMessageEvent({ userId: dave, at: '2026-05-01T18:15:00.000000Z', usage: { prompt_tokens: 4, completion_tokens: 0 } }), // 23:45 IST, 1 May
    aMessageEvent({ userId: dave, at: '2026-05-01T18:45:00.000000Z', usage: { prompt_tokens: 9, completion_tokens: 0 } }), // 00:15 IST, 2 May
  ];
  const frank = aUserId('frank');
  const frankAt = (at: string, tokens: number) => aMessageEvent({ userId: frank, at, usage: { prompt_tokens: tokens, completion_tokens: 0 } });
  // Lord Howe Island ends DST on 5 April 2026 at 02:00 +11:00, which becomes 01:30 +10:30: half an hour repeats.
  const frankEvents: TokenEvent[] = [
    frankAt('2026-04-04T14:40:00.000000Z', 3), // 01:40 +11:00
    frankAt('2026-04-04T15:10:00.000000Z', 5), // 01:40 +10:30, the repeated half hour
    frankAt('2026-04-04T15:40:00.000000Z', 8), // 02:10 +10:30
  ];
  const erinNow = aMessageEvent({ userId: erin, at: new Date().toISOString(), usage: { prompt_tokens: 3, completion_tokens: 3 } });

  beforeAll(async () => {
    ledger = await startLedger();
    const all = [...aliceEvents, ...bobEvents, ...carolEvents, ...daveEvents, ...frankEvents, erinNow];
    await ledger.apply.execute(recordsOf(all));
    api = {
      alice: as(alice),
      bob: as(bob),
      admin: ledger.http.as(ledger.token('ops', [Scopes.usageReadAll])).typed<paths>(),
      anonymous: ledger.http.typed<paths>(),
    };
  });
  afterAll(() => ledger?.close());

  describe('GET /v1/users/:user_id/usage', () => {
    it("returns the user's own balance", async () => {
      const res = await api.alice.get('/v1/users/{user_id}/usage', { path: { user_id: alice } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual<Schemas['UserUsageResponse']>({
        user_id: alice,
        // Events of contract versions before the tenant fields belong to no organisation.
        org_id: null,
        tokens_total: 222,
        messages_counted: 4,
        adjustments_count: 3,
        adjustments_total: 2,
        events_count: 7,
        usage: { prompt_tokens: 140, completion_tokens: 80, cached_tokens: 5, cache_write_tokens: 0, reasoning_tokens: 7, total_tokens: 220 },
        // No price book here: every event that counts tokens is unpriced; the user message without tokens costs 0.
        currency: 'USD',
        cost_micros: 0,
        unpriced_events: 6,
        first_activity_at: '2026-03-10T09:15:00.000000Z',
        last_activity_at: '2026-03-12T00:00:00.000000Z',
        updated_at: expect.stringMatching(/Z$/),
      });
    });

    it('answers zeros with updated_at null for a user without events', async () => {
      const nobody = aUserId('nobody');
      const res = await as(nobody).get('/v1/users/{user_id}/usage', { path: { user_id: nobody } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user_id: nobody, tokens_total: 0, messages_counted: 0, adjustments_total: 0, updated_at: null });
    });

    it("is 403 for another user's usage, 200 with usage:read_all, 401 without a token", async () => {
      const forbidden = await api.alice.get('/v1/users/{user_id}/usage', { path: { user_id: bob } });
      expect(forbidden.status).toBe(403);
      expect(errorOf(forbidden)).toMatchObject({ code: 'FORBIDDEN', details: [{ field: 'user_id', problem: expect.stringContaining('usage:read_all') }] });
      await expect(api.admin.get('/v1/users/{user_id}/usage', { path: { user_id: bob } })).resolves.toMatchObject({
        status: 200,
        body: { user_id: bob, tokens_total: 105, messages_counted: 1 },
      });
      await expect(api.anonymous.get('/v1/users/{user_id}/usage', { path: { user_id: alice } })).resolves.toMatchObject({
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED' } },
      });
    });

    it('rejects a malformed user id with 400', async () => {
      const res = await api.admin.get('/v1/users/{user_id}/usage', { path: { user_id: 'a b' } });
      expect(res.status).toBe(400);
      expect(errorOf(res).details).toEqual([{ field: 'user_id', problem: expect.any(String) }]);
    });
  });

  describe('GET /v1/conversations/:id/usage', () => {
    it('returns totals with the breakdown by reason and by model', async () => {
      const res = await api.alice.get('/v1/conversations/{id}/usage', { path: { id: c1 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        conversation_id: c1,
        user_id: alice,
        tokens_total: 195,
        messages_counted: 3,
        adjustments_count: 2,
        adjustments_total: -5,
        usage: { prompt_tokens: 130, completion_tokens: 70, cached_tokens: 5, reasoning_tokens: 7, total_tokens: 200 },
        first_activity_at: '2026-03-10T09:15:00.000000Z',
        last_activity_at: '2026-03-10T12:00:00.000000Z',
      });
      expect(res.body.by_reason.map((r) => [r.reason, r.tokens_delta, r.events_count])).toEqual([
        ['message', 200, 3],
        ['title_generation', 15, 1],
        ['refund', -20, 1],
      ]);
      expect(res.body.by_model.map((r) => [r.model, r.tokens_delta, r.events_count])).toEqual([
        ['gpt-4o', 150, 1],
        ['gpt-4o-mini', 50, 1],
        [null, -5, 3],
      ]);
    });

    it("is 404 for another user's conversation and for an unknown one; usage:read_all reads any", async () => {
      for (const id of [c3, randomUUID()]) {
        const res = await api.alice.get('/v1/conversations/{id}/usage', { path: { id } });
        expect(res.status).toBe(404);
        expect(errorOf(res).code).toBe('CONVERSATION_NOT_FOUND');
      }
      await expect(api.admin.get('/v1/conversations/{id}/usage', { path: { id: c3 } })).resolves.toMatchObject({
        status: 200,
        body: { user_id: bob, tokens_total: 100 },
      });
      await expect(api.alice.get('/v1/conversations/{id}/usage', { path: { id: 'not-a-uuid' } })).resolves.toMatchObject({
        status: 400,
        body: { error: { details: [{ field: 'conversation_id', problem: 'must be a UUID' }] } },
      });
    });

    it('message totals include adjustments that name only the message', async () => {
      const { rows } = await ledger.db.query(`SELECT tokens_total::int, conversation_id::text FROM ledger.message_totals WHERE message_id = $1`, [m5]);
      expect(rows).toEqual([{ tokens_total: 105, conversation_id: c3 }]);
    });
  });

  describe('GET /v1/usage/entries', () => {
    it('pages the journal newest first with a cursor', async () => {
      const seen: Schemas['UsageEntryResponse'][] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: HttpResult<Schemas['UsageEntriesPage']> = await api.alice.get('/v1/usage/entries', { query: { limit: 3, cursor: cursor ?? undefined } });
        expect(res.status).toBe(200);
        seen.push(...res.body.list);
        cursor = res.body.next_cursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.map((e) => e.effective_at)).toEqual([
        '2026-03-12T00:00:00.000000Z',
        '2026-03-11T08:00:00.000000Z',
        '2026-03-10T12:00:00.000000Z',
        '2026-03-10T11:05:00.000000Z',
        '2026-03-10T09:50:00.000000Z',
        '2026-03-10T09:45:00.500000Z',
        '2026-03-10T09:15:00.000000Z',
      ]);
      expect(seen[2]).toEqual<Schemas['UsageEntryResponse']>({
        event_id: aliceEvents[3]!.id,
        event_type: 'ledger.tokens.adjusted',
        user_id: alice,
        conversation_id: c1,
        message_id: m1,
        role: null,
        model: null,
        reason: 'refund',
        tokens_delta: -20,
        usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 0 },
        cost_micros: null,
        priced_with: null,
        corrects_event_id: null,
        channel: null,
        operation: null,
        task_id: null,
        task_kind: null,
        org_id: null,
        project_id: null,
        api_key_id: null,
        occurred_at: '2026-11-24T00:00:00.000000Z',
        effective_at: '2026-03-10T12:00:00.000000Z',
        applied_at: expect.stringMatching(/Z$/),
        source: 'billing',
      });
    });

    it('filters by conversation, reason and time range', async () => {
      const byConversation = await api.alice.get('/v1/usage/entries', { query: { conversation_id: c2 } });
      expect(byConversation.body.list.map((e) => e.tokens_delta)).toEqual([20]);
      const refunds = await api.alice.get('/v1/usage/entries', { query: { reason: 'refund' } });
      expect(refunds.body.list.map((e) => e.event_id)).toEqual([aliceEvents[3]!.id]);
      const range = await api.alice.get('/v1/usage/entries', { query: { from: '2026-03-10T10:50:00+01:00', to: '2026-03-10T12:00:00Z' } });
      expect(range.body.list.map((e) => e.effective_at)).toEqual(['2026-03-10T11:05:00.000000Z', '2026-03-10T09:50:00.000000Z']);
      // Another user's conversation: nothing of it is visible (the list is scoped to the caller).
      await expect(api.alice.get('/v1/usage/entries', { query: { conversation_id: c3 } })).resolves.toMatchObject({ status: 200, body: { list: [] } });
      await expect(api.admin.get('/v1/usage/entries', { query: { conversation_id: c3 } })).resolves.toMatchObject({ body: { list: [{ user_id: bob }] } });
    });
  });

  describe('GET /v1/usage/summary', () => {
    type Group = Schemas['UsageSummaryGroup'];
    const groups = (res: HttpResult<Schemas['UsageSummaryResponse']>, key: keyof Group) => res.body.groups.map((g) => [g[key], g.tokens_delta, g.events_count]);
    const summary = (client: Api, query: NonNullable<paths['/v1/usage/summary']['get']['parameters']['query']>) => client.get('/v1/usage/summary', { query });

    it('groups by model, reason and conversation', async () => {
      expect(groups(await summary(api.alice, { group_by: 'model' }), 'model')).toEqual([
        ['gpt-4o', 170, 2],
        ['gpt-4o-mini', 50, 1],
        [null, 2, 4],
      ]);
      expect(groups(await summary(api.alice, { group_by: 'reason' }), 'reason')).toEqual([
        ['message', 220, 4],
        ['title_generation', 15, 1],
        ['correction', 7, 1],
        ['refund', -20, 1],
      ]);
      expect(groups(await summary(api.alice, { group_by: 'conversation' }), 'conversation_id')).toEqual([
        [c1, 195, 5],
        [c2, 20, 1],
        [null, 7, 1],
      ]);
      const model = await summary(api.alice, { group_by: 'model' });
      expect(model.body.totals).toEqual<Schemas['UsageSumsResponse']>({
        events_count: 7,
        messages_counted: 4,
        adjustments_count: 3,
        tokens_delta: 222,
        prompt_tokens: 140,
        completion_tokens: 80,
        cached_tokens: 5,
        cache_write_tokens: 0,
        reasoning_tokens: 7,
        total_tokens: 220,
        cost_micros: 0,
        unpriced_events: 6,
      });
    });

    it('is exact for ranges that cut through hours (rollup inside, journal at the edges)', async () => {
      const res = await summary(api.alice, { group_by: 'reason', from: '2026-03-10T09:30:00Z', to: '2026-03-10T11:30:00Z' });
      expect(res.status).toBe(200);
      expect(groups(res, 'reason')).toEqual([
        ['message', 50, 2],
        ['title_generation', 15, 1],
      ]);
    });

    it('group_by=user: a user sees only themself; usage:read_all sees everyone', async () => {
      expect(groups(await summary(api.alice, { group_by: 'user' }), 'user_id')).toEqual([[alice, 222, 7]]);
      await expect(summary(api.alice, { group_by: 'user', user_id: bob })).resolves.toMatchObject({ status: 403 });
      const all = await summary(api.admin, { group_by: 'user' });
      expect(groups(all, 'user_id')).toEqual(
        expect.arrayContaining([
          [alice, 222, 7],
          [bob, 105, 2],
        ]),
      );
    });

    it('group_by=day in a time zone lists the days with usage', async () => {
      const res = await summary(api.alice, { group_by: 'day' });
      expect(res.body.groups.map((g) => [g.day, g.tokens_delta])).toEqual([
        ['2026-03-10', 195],
        ['2026-03-11', 20],
        ['2026-03-12', 7],
      ]);
      const kolkata = await summary(as(dave), { group_by: 'day', tz: 'Asia/Kolkata' });
      expect(kolkata.body.groups.map((g) => [g.day, g.tokens_delta])).toEqual([
        ['2026-05-01', 4],
        ['2026-05-02', 9],
      ]);
    });
  });

  describe('GET /v1/usage/timeline', () => {
    const timeline = (client: Api, query: NonNullable<paths['/v1/usage/timeline']['get']['parameters']['query']>) =>
      client.get('/v1/usage/timeline', { query });
    const carolApi = () => as(carol);

    it('day buckets across the spring DST change in Europe/Berlin (a 23-hour day)', async () => {
      const res = await timeline(carolApi(), { interval: 'day', tz: 'Europe/Berlin', from: '2026-03-28T00:00:00+01:00', to: '2026-03-31T00:00:00+02:00' });
      expect(res.status).toBe(200);
      expect(res.body.buckets.map((b) => [b.local_start, b.start, b.end, b.tokens_delta])).toEqual([
        ['2026-03-28T00:00:00+01:00', '2026-03-27T23:00:00.000000Z', '2026-03-28T23:00:00.000000Z', 10],
        ['2026-03-29T00:00:00+01:00', '2026-03-28T23:00:00.000000Z', '2026-03-29T22:00:00.000000Z', 25],
        ['2026-03-30T00:00:00+02:00', '2026-03-29T22:00:00.000000Z', '2026-03-30T22:00:00.000000Z', 30],
      ]);
    });

    it('hour buckets across the fall-back night: 25 hours, the 02:00 hour twice, empty hours included', async () => {
      const res = await timeline(carolApi(), { interval: 'hour', tz: 'Europe/Berlin', from: '2026-10-25T00:00:00+02:00', to: '2026-10-26T00:00:00+01:00' });
      expect(res.status).toBe(200);
      const buckets = res.body.buckets;
      expect(buckets).toHaveLength(25);
      expect(buckets.slice(0, 5).map((b) => [b.local_start, b.tokens_delta])).toEqual([
        ['2026-10-25T00:00:00+02:00', 13],
        ['2026-10-25T01:00:00+02:00', 0],
        ['2026-10-25T02:00:00+02:00', 7],
        ['2026-10-25T02:00:00+01:00', 11],
        ['2026-10-25T03:00:00+01:00', 0],
      ]);
      expect(buckets[24]!.local_start).toBe('2026-10-25T23:00:00+01:00');
      expect(buckets.filter((b) => b.events_count === 0)).toHaveLength(22);
      expect(res.body.totals.tokens_delta).toBe(31);
    });

    it('hour buckets where the clocks move by 30 minutes (Australia/Lord_Howe): every bucket is one local hour at one offset', async () => {
      const res = await timeline(as(frank), {
        interval: 'hour',
        tz: 'Australia/Lord_Howe',
        from: '2026-04-05T00:00:00+11:00',
        to: '2026-04-05T04:00:00+10:30',
      });
      expect(res.status).toBe(200);
      expect(res.body.buckets.map((b) => [b.local_start, b.start, b.end, b.tokens_delta])).toEqual([
        ['2026-04-05T00:00:00+11:00', '2026-04-04T13:00:00.000000Z', '2026-04-04T14:00:00.000000Z', 0],
        ['2026-04-05T01:00:00+11:00', '2026-04-04T14:00:00.000000Z', '2026-04-04T15:00:00.000000Z', 3],
        ['2026-04-05T01:30:00+10:30', '2026-04-04T15:00:00.000000Z', '2026-04-04T15:30:00.000000Z', 5],
        ['2026-04-05T02:00:00+10:30', '2026-04-04T15:30:00.000000Z', '2026-04-04T16:30:00.000000Z', 8],
        ['2026-04-05T03:00:00+10:30', '2026-04-04T16:30:00.000000Z', '2026-04-04T17:30:00.000000Z', 0],
      ]);
    });

    it('day buckets across the fall DST change: a 25-hour day', async () => {
      const res = await timeline(carolApi(), { interval: 'day', tz: 'Europe/Berlin', from: '2026-10-24T00:00:00+02:00', to: '2026-10-27T00:00:00+01:00' });
      expect(res.body.buckets.map((b) => [b.local_start, (Date.parse(b.end) - Date.parse(b.start)) / 3_600_000, b.tokens_delta])).toEqual([
        ['2026-10-24T00:00:00+02:00', 24, 0],
        ['2026-10-25T00:00:00+02:00', 25, 31],
        ['2026-10-26T00:00:00+01:00', 24, 17],
      ]);
    });

    it('weeks and months start in the time zone; zones with half-hour offsets are exact', async () => {
      const week = await timeline(carolApi(), { interval: 'week', tz: 'Europe/Berlin', from: '2026-03-23T00:00:00+01:00', to: '2026-04-06T00:00:00+02:00' });
      expect(week.body.buckets.map((b) => [b.local_start, b.tokens_delta])).toEqual([
        ['2026-03-23T00:00:00+01:00', 35],
        ['2026-03-30T00:00:00+02:00', 30],
      ]);
      const month = await timeline(carolApi(), { interval: 'month', tz: 'Europe/Berlin', from: '2026-03-01T00:00:00+01:00', to: '2026-11-01T00:00:00+01:00' });
      expect(month.body.buckets).toHaveLength(8);
      expect(month.body.buckets.map((b) => b.tokens_delta)).toEqual([65, 0, 0, 0, 0, 0, 0, 48]);
      const kolkata = await timeline(as(dave), { interval: 'day', tz: 'Asia/Kolkata', from: '2026-05-01T00:00:00+05:30', to: '2026-05-03T00:00:00+05:30' });
      expect(kolkata.body.buckets.map((b) => [b.local_start, b.tokens_delta])).toEqual([
        ['2026-05-01T00:00:00+05:30', 4],
        ['2026-05-02T00:00:00+05:30', 9],
      ]);
    });

    it('rejects unknown time zones and too many buckets with 400', async () => {
      await expect(timeline(carolApi(), { tz: 'Mars/Olympus' })).resolves.toMatchObject({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED', details: [{ field: 'tz', problem: expect.any(String) }] } },
      });
      await expect(timeline(carolApi(), { interval: 'hour', from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).resolves.toMatchObject({
        status: 400,
        body: { error: { details: [{ field: 'from', problem: expect.stringContaining('more than 1000 hour buckets') }] } },
      });
      // 1000 day buckets exactly is fine
      await expect(timeline(carolApi(), { interval: 'day', from: '2024-01-01T00:00:00Z', to: '2026-09-27T00:00:00Z' })).resolves.toMatchObject({ status: 200 });
    });
  });

  it('GET /v1/usage/daily lists the last N local days, today included, empty days too', async () => {
    const res = await as(erin).get('/v1/usage/daily', { query: { days: 3 } });
    expect(res.status).toBe(200);
    expect(res.body.list).toHaveLength(3);
    expect(res.body.list.map((d) => d.tokens_delta)).toEqual([0, 0, 6]);
    expect(res.body.list[2]!.date).toBe(new Date().toISOString().slice(0, 10));
    expect(res.body).toMatchObject({ days: 3, tz: 'UTC', user_id: erin, currency: 'USD', totals: { tokens_delta: 6 } });
  });

  it('GET /v1/usage/sessions lists conversations, most recent activity first', async () => {
    const page = await api.alice.get('/v1/usage/sessions', { query: { limit: 1 } });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 2, has_more: true, limit: 1, offset: 0 });
    expect(page.body.list).toEqual<Schemas['UsageSession'][]>([
      {
        conversation_id: c2,
        user_id: alice,
        org_id: null,
        project_id: null,
        tokens_total: 20,
        messages_counted: 1,
        adjustments_total: 0,
        usage: { prompt_tokens: 10, completion_tokens: 10, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 20 },
        cost_micros: null,
        unpriced_events: 1,
        first_activity_at: '2026-03-11T08:00:00.000000Z',
        last_activity_at: '2026-03-11T08:00:00.000000Z',
      },
    ]);
    const next = await api.alice.get('/v1/usage/sessions', { query: { limit: 1, offset: 1 } });
    expect(next.body).toMatchObject({ has_more: false, list: [{ conversation_id: c1, tokens_total: 195, messages_counted: 3 }] });
  });

  it.each([
    ['/v1/usage/entries?limit=0', 'limit'],
    ['/v1/usage/entries?limit=abc', 'limit'],
    ['/v1/usage/entries?limit=501', 'limit'],
    ['/v1/usage/entries?cursor=not-a-cursor', 'cursor'],
    ['/v1/usage/entries?conversation_id=xyz', 'conversation_id'],
    ['/v1/usage/entries?reason=Not%20A%20Slug', 'reason'],
    ['/v1/usage/entries?from=2026-03-29', 'from'],
    ['/v1/usage/entries?to=2026-03-29T10:00:00', 'to'],
    ['/v1/usage/entries?from=2026-03-29T10:00:00Z&to=2026-03-29T09:00:00Z', 'from'],
    ['/v1/usage/entries?user_id=a&user_id=b', 'user_id'],
    ['/v1/usage/entries?foo=1', 'foo'],
    ['/v1/usage/summary?group_by=week', 'group_by'],
    ['/v1/usage/summary?tz=Europe/Nowhere', 'tz'],
    ['/v1/usage/timeline?interval=minute', 'interval'],
    ['/v1/usage/timeline?tz=%27%3B%20DROP', 'tz'],
    ['/v1/usage/daily?days=400', 'days'],
    ['/v1/usage/sessions?offset=-1', 'offset'],
    ['/v1/usage/summary?org_id=org%20A', 'org_id'],
    ['/v1/usage/entries?api_key_id=' + 'k'.repeat(65), 'api_key_id'],
    ['/v1/usage/sessions?project_id=%00', 'project_id'],
  ])('400 naming the field for %s', async (path, field) => {
    // Values the typed client would not compile: sent as they are.
    const res = await api.alice.http.get(path);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    expect(errorOf(res).details.map((d) => d.field)).toContain(field);
  });

  it('/health, /health/ready, /metrics and the docs are public', async () => {
    await expect(api.anonymous.get('/health')).resolves.toMatchObject({ status: 200, body: { status: 'ok' } });
    await expect(api.anonymous.get('/health/ready')).resolves.toMatchObject({
      status: 200,
      // Terminus knows only up and down: a switched-off consumer is up, and says so.
      body: { status: 'ok', checks: { database: { status: 'up' }, kafka: { status: 'up', consumer: 'disabled' } } },
    });
    const metrics = await api.anonymous.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toContain('ledger_events_applied_total{type="chat.message.recorded"}');
    await expect(api.anonymous.http.get('/docs-json')).resolves.toMatchObject({
      status: 200,
      body: { paths: expect.objectContaining({ '/v1/usage/timeline': expect.anything() }) },
    });
    await expect(api.anonymous.http.get('/docs')).resolves.toMatchObject({ status: 200 });
  });
});
