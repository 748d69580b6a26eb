import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Scopes } from '@chat-ledger/platform';
import { aUserId, HttpClient } from '@chat-ledger/testing';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { aUsageRecordEvent, recordsOf, usageOf } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

/**
 * Usage records (ledger.usage.upserted): whatever order and however often a record's revisions arrive, the
 * ledger counts its latest revision, in every total, view and cost. Costs by hand (micro-USD) at gpt-4o's
 * 2.50 input / 1.25 cached / 3.125 cache write / 10.00 output (reasoning at output) per 1M tokens, each
 * usage rounded once, half away from zero.
 */
describe('usage records in the ledger', () => {
  let ledger: LedgerTestApp;
  let ops: HttpClient;

  const u1 = usageOf({ prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 100 });
  const u2 = usageOf({ prompt_tokens: 1500, completion_tokens: 300, cached_tokens: 200 });
  // Lower than revision 2 in prompt tokens: a correction downwards for some kinds, upwards for others.
  const u3 = usageOf({ prompt_tokens: 1200, completion_tokens: 500, cached_tokens: 300, cache_write_tokens: 100, reasoning_tokens: 50 });
  // 900 × 2.5 + 100 × 1.25 + 200 × 10 = 4375
  const COST_1 = 4375;
  // 800 × 2.5 + 300 × 1.25 + 100 × 3.125 + 450 × 10 + 50 × 10 = 7687.5 → 7688
  const COST_3 = 7688;

  /** One record's events as the gateway writes them: it saw revisions 1, 2 and 3 (each relative to the one before). */
  function revisions(o: { userId: string; conversationId?: string; externalId?: string }) {
    const base = { userId: o.userId, externalId: o.externalId ?? `run-${randomUUID().slice(0, 8)}`, conversationId: o.conversationId, operation: 'agent_step' };
    const e1 = aUsageRecordEvent({ ...base, revision: 1, usage: u1 });
    const e2 = aUsageRecordEvent({ ...base, revision: 2, usage: u2, previous: { revision: 1, usage: u1 } });
    const e3 = aUsageRecordEvent({ ...base, revision: 3, usage: u3, previous: { revision: 2, usage: u2 } });
    // What a gateway that got revision 3 before revision 2 writes: 3 relative to 1, and nothing for 2.
    const e3after1 = aUsageRecordEvent({ ...base, revision: 3, usage: u3, previous: { revision: 1, usage: u1 } });
    return { externalId: base.externalId, e1, e2, e3, e3after1 };
  }

  async function userTotals(userId: string) {
    const res = await ops.get(`/v1/users/${userId}/usage`);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The user's usage counts revision 3 and nothing else: totals, the record, summary by reason, cost. */
  async function expectRevision3(userId: string, externalId: string, conversationId?: string) {
    expect(await userTotals(userId)).toMatchObject({ tokens_total: u3.total_tokens, usage: u3, cost_micros: COST_3, unpriced_events: 0 });
    const summary = await ops.get(`/v1/usage/summary?group_by=reason&user_id=${userId}`);
    expect(summary.body.groups).toEqual([
      expect.objectContaining({ reason: 'usage_record', tokens_delta: u3.total_tokens, prompt_tokens: u3.prompt_tokens, cost_micros: COST_3 }),
    ]);
    const bySource = await ops.get(`/v1/usage/summary?group_by=operation&source=agents&user_id=${userId}`);
    expect(bySource.body.groups).toEqual([expect.objectContaining({ operation: 'agent_step', total_tokens: u3.total_tokens, cost_micros: COST_3 })]);
    if (conversationId) {
      await expect(ops.get(`/v1/conversations/${conversationId}/usage`)).resolves.toMatchObject({
        status: 200,
        body: { tokens_total: u3.total_tokens, usage: u3, cost_micros: COST_3 },
      });
    }
    const { rows } = await ledger.db.query(
      `SELECT user_id, revision::int, prompt_tokens::int, completion_tokens::int, cached_tokens::int, cache_write_tokens::int,
              reasoning_tokens::int, total_tokens::int FROM ledger.usage_records WHERE source = 'agents' AND external_id = $1`,
      [externalId],
    );
    expect(rows).toEqual([{ user_id: userId, revision: 3, ...u3 }]);
  }

  beforeAll(async () => {
    ledger = await startLedger();
    ops = ledger.http.as(ledger.token('finance-ops', [Scopes.pricesAdmin, Scopes.usageReadAll]));
    const price = await ops.put('/v1/admin/prices/gpt-4o', {
      effective_from: '2026-11-01T00:00:00Z',
      input_per_mtok: '2.50',
      cached_input_per_mtok: '1.25',
      cache_write_per_mtok: '3.125',
      output_per_mtok: '10.00',
    });
    expect(price.status).toBe(201);
  });
  afterAll(() => ledger?.close());

  it('counts the first revision in full and a later one as the difference, in journal entries of reason usage_record', async () => {
    const user = aUserId('agent-owner');
    const conversation = randomUUID();
    const r = revisions({ userId: user, conversationId: conversation });
    await expect(ledger.apply.execute(recordsOf([r.e1]))).resolves.toMatchObject({ applied: { 'ledger.usage.upserted': 1 } });
    expect(await userTotals(user)).toMatchObject({ tokens_total: u1.total_tokens, cost_micros: COST_1 });
    await expect(ledger.apply.execute(recordsOf([r.e3after1], { firstOffset: 1 }))).resolves.toMatchObject({ applied: { 'ledger.usage.upserted': 1 } });
    await expectRevision3(user, r.externalId, conversation);

    const { rows } = await ledger.db.query(
      `SELECT event_id::text, reason, source, external_id, revision::int, prompt_tokens::int, completion_tokens::int, cached_tokens::int,
              cache_write_tokens::int, reasoning_tokens::int, tokens_delta::int, cost_micros::int, operation, conversation_id::text
         FROM ledger.entries WHERE external_id = $1 ORDER BY revision`,
      [r.externalId],
    );
    const common = { reason: 'usage_record', source: 'agents', external_id: r.externalId, operation: 'agent_step', conversation_id: conversation };
    expect(rows).toEqual([
      {
        ...common,
        event_id: r.e1.id,
        revision: 1,
        prompt_tokens: 1000,
        completion_tokens: 200,
        cached_tokens: 100,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        tokens_delta: 1200,
        cost_micros: COST_1,
      },
      // The correction: revision 3 minus revision 1, kind by kind; its cost is the difference of the two costs.
      {
        ...common,
        event_id: r.e3after1.id,
        revision: 3,
        prompt_tokens: 200,
        completion_tokens: 300,
        cached_tokens: 200,
        cache_write_tokens: 100,
        reasoning_tokens: 50,
        tokens_delta: 500,
        cost_micros: COST_3 - COST_1,
      },
    ]);
  });

  it('replayed twice, and replayed out of order, leaves revision 3', async () => {
    const user = aUserId('replayed');
    const r = revisions({ userId: user });
    await ledger.apply.execute(recordsOf([r.e1, r.e2, r.e3]));
    await expectRevision3(user, r.externalId);

    await expect(ledger.apply.execute(recordsOf([r.e1, r.e2, r.e3]))).resolves.toMatchObject({ applied: {}, duplicates: 3 });
    await expect(ledger.apply.execute(recordsOf([r.e3, r.e1, r.e2], { firstOffset: 3 }))).resolves.toMatchObject({ applied: {}, duplicates: 3 });
    await expectRevision3(user, r.externalId);
    expect(await userTotals(user)).toMatchObject({ events_count: 3 });
  });

  it('out of order into an empty ledger: the newest first, older revisions after it count nothing', async () => {
    const inOneBatch = revisions({ userId: aUserId('reversed') });
    await ledger.apply.execute(recordsOf([inOneBatch.e3, inOneBatch.e2, inOneBatch.e1]));
    await expectRevision3(inOneBatch.e1.data.user_id, inOneBatch.externalId);

    const batchByBatch = revisions({ userId: aUserId('late') });
    for (const [i, event] of [batchByBatch.e3, batchByBatch.e1, batchByBatch.e2].entries()) await ledger.apply.execute(recordsOf([event], { firstOffset: i }));
    await expectRevision3(batchByBatch.e1.data.user_id, batchByBatch.externalId);
    // The late ones are journaled (their ids are known), counting nothing: every order leaves 3 events.
    expect(await userTotals(batchByBatch.e1.data.user_id)).toMatchObject({ events_count: 3 });

    const interleaved = revisions({ userId: aUserId('interleaved') });
    await ledger.apply.execute(recordsOf([interleaved.e1, interleaved.e3, interleaved.e2]));
    await expectRevision3(interleaved.e1.data.user_id, interleaved.externalId);
  });

  it('counts against what the ledger counted, not the delta in the event: a partial replay still ends at revision 3', async () => {
    // Revision 1 never reached this ledger (say the outbox kept only the later rows): the event's delta
    // (3 minus 1) would undercount; its full usage does not.
    const partial = revisions({ userId: aUserId('partial') });
    await ledger.apply.execute(recordsOf([partial.e3after1]));
    await expectRevision3(partial.e1.data.user_id, partial.externalId);
  });

  it('does not count an event that names a known record with another user or model (dead letter)', async () => {
    const user = aUserId('owner');
    const r = revisions({ userId: user });
    await ledger.apply.execute(recordsOf([r.e1, r.e3after1]));
    const intruder = aUsageRecordEvent({ userId: aUserId('intruder'), externalId: r.externalId, revision: 4, usage: u1, operation: 'agent_step' });
    const otherModel = aUsageRecordEvent({ userId: user, externalId: r.externalId, revision: 5, usage: u1, model: 'gpt-4o-mini', operation: 'agent_step' });

    const result = await ledger.apply.execute(recordsOf([intruder, otherModel], { partition: 3 }));

    expect(result).toMatchObject({ applied: {}, deadLettersStored: ['usage_record_mismatch', 'usage_record_mismatch'] });
    const { rows } = await ledger.db.query(`SELECT event_id::text, reason, error FROM ledger.dead_letters WHERE event_id = ANY($1::uuid[]) ORDER BY "offset"`, [
      [intruder.id, otherModel.id],
    ]);
    expect(rows).toEqual([
      {
        event_id: intruder.id,
        reason: 'usage_record_mismatch',
        error: expect.stringContaining(`has user_id ${user}; this event names user_id ${intruder.data.user_id}`),
      },
      { event_id: otherModel.id, reason: 'usage_record_mismatch', error: expect.stringContaining('has model gpt-4o; this event names model gpt-4o-mini') },
    ]);
    await expectRevision3(user, r.externalId);
    expect(await userTotals(intruder.data.user_id)).toMatchObject({ tokens_total: 0, events_count: 0 });
  });

  it('reconcile finds every total (and every record) equal to the journal; repricing corrects records to their latest revision', async () => {
    const reconcile = new ReconcileService(ledger.app.get(DataSource));
    const report = await reconcile.check();
    expect(report.tables.map((t) => [t.table, t.drifted])).toEqual([
      ['user_totals', 0],
      ['conversation_totals', 0],
      ['message_totals', 0],
      ['usage_hourly', 0],
      ['usage_records', 0],
    ]);
    expect(report.tables.find((t) => t.table === 'usage_records')!.rows).toBe(7);

    // From 15 November: 3.00 input (cached and cache write at it too), 12.00 output (reasoning at it too).
    // Revision 3: 800 × 3 + 300 × 3 + 100 × 3 + 450 × 12 + 50 × 12 = 9600.
    expect((await ops.put('/v1/admin/prices/gpt-4o', { effective_from: '2026-11-15T00:00:00Z', input_per_mtok: '3', output_per_mtok: '12' })).status).toBe(201);
    const repriced = await ops.post('/v1/admin/prices/reprice', { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    expect(repriced.status).toBe(200);
    const { rows } = await ledger.db.query(
      `SELECT r.user_id, u.cost_micros::int, u.total_tokens::int FROM ledger.usage_records r JOIN ledger.user_totals u USING (user_id) ORDER BY 1`,
    );
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row).toEqual({ user_id: row.user_id, cost_micros: 9600, total_tokens: u3.total_tokens });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('its migrations go down with usage records in the journal (the rows go: the older schema cannot hold them) and up again', async () => {
    const dataSource = ledger.app.get(DataSource);
    const executed = async () => (await ledger.db.query(`SELECT name FROM ledger_migrations ORDER BY id`)).rows.map((r) => r.name as string);
    // Down to before UsageRecords1765100000001 (the migrations after it, TaskAttribution's and Tenants' too, go down on the way).
    const reverted: string[] = [];
    while ((await executed()).includes('UsageRecords1765100000001')) {
      reverted.push((await executed()).at(-1)!);
      await dataSource.undoLastMigration();
    }
    // (Later migrations, which know nothing of usage records, go down first.)
    expect(reverted.slice(-3)).toEqual(['UsageRecordsEventType1765290000001', 'TaskAttribution1765200000000', 'UsageRecords1765100000001']);
    const { rows } = await ledger.db.query(
      `SELECT (SELECT count(*)::int FROM ledger.entries WHERE reason = 'usage_record') AS usage_rows, to_regclass('ledger.usage_records') AS state,
              (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'entries_event_type_check') AS types`,
    );
    expect(rows[0]).toEqual({ usage_rows: 0, state: null, types: expect.not.stringContaining('usage') });

    await expect(dataSource.runMigrations()).resolves.toHaveLength(reverted.length);
    const again = await ledger.db.query(`SELECT pg_get_constraintdef(oid) AS types FROM pg_constraint WHERE conname = 'entries_event_type_check'`);
    expect(again.rows[0].types).toEqual(expect.stringContaining('ledger.usage.upserted'));
    expect(again.rows[0].types).toEqual(expect.stringContaining('task.completed'));
  });
});
