import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildEnvelope, taskCompletedV1, toRfc3339Micros, userErasedV1 } from '@chat-ledger/contracts';
import { aUserId } from '@chat-ledger/testing';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { LedgerRetentionService } from '../src/retention/ledger-retention.service';
import { aMessageEvent, anAdjustmentEvent, aUsageRecordEvent, recordsOf, TokenEvent, usageOf } from './events';
import { actualTotals } from './expected-totals';
import { LedgerTestApp, startLedger } from './ledger-test-app';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The ledger's retention windows on real PostgreSQL: dead letters by age, and journal entries older than
 * JOURNAL_RETENTION folded into the balances (totals, hourly rollup and reconcile unchanged; the folded ids still
 * deduplicate; the entries listing says from when it is complete), in batches of RETENTION_BATCH_SIZE.
 */
describe('ledger retention', () => {
  let ledger: LedgerTestApp;
  let retention: LedgerRetentionService;
  let reconcile: ReconcileService;
  const users = [aUserId('old'), aUserId('new')];
  const now = Date.now();
  const old = now - 50 * 24 * HOUR; // beyond the 40-day window
  const conversation = randomUUID();
  const message = randomUUID();
  const oldEvents: TokenEvent[] = [
    aMessageEvent({ userId: users[0]!, conversationId: conversation, messageId: message, at: iso(old) }),
    aMessageEvent({ userId: users[0]!, conversationId: conversation, at: iso(old + 60_000), usage: { prompt_tokens: 30, completion_tokens: 12 } }),
    anAdjustmentEvent({ userId: users[0]!, conversationId: conversation, messageId: message, delta: -5, at: iso(old + 2 * HOUR) }),
    aMessageEvent({ userId: users[1]!, at: iso(old + 3 * HOUR), usage: { prompt_tokens: 7, completion_tokens: 1 } }),
  ];
  const recordEvent = aUsageRecordEvent({
    userId: users[0]!,
    externalId: 'run-1',
    revision: 1,
    usage: usageOf({ prompt_tokens: 100, completion_tokens: 10 }),
    at: iso(old),
  });
  const taskId = randomUUID();
  const taskEvent = buildEnvelope(taskCompletedV1, {
    source: 'chat-gateway',
    occurredAt: iso(old),
    data: {
      task_id: taskId,
      source: 'title-worker',
      external_id: 'title-1',
      kind: 'title_generation',
      user_id: users[1]!,
      conversation_id: null,
      client_id: null,
      outcome: 'succeeded',
      error: null,
      model: 'gpt-4o',
      usage: usageOf({ prompt_tokens: 40, completion_tokens: 2 }),
      tokens_delta: 42,
      started_at: null,
      completed_at: iso(old + HOUR),
    },
  });
  const taskUsage = () => ledger.db.query(`SELECT * FROM ledger.task_usage_view WHERE task_id = $1`, [taskId]).then((r) => r.rows);
  const recentEvents: TokenEvent[] = [
    aMessageEvent({ userId: users[0]!, conversationId: conversation, at: iso(now - HOUR), usage: { prompt_tokens: 50, completion_tokens: 5 } }),
    aMessageEvent({ userId: users[1]!, at: iso(now - 2 * HOUR) }),
  ];
  const hourly = () =>
    ledger.db
      .query(
        `SELECT user_id, bucket, conversation_id, model, reason, events_count::int, tokens_delta::int, cost_micros::int
           FROM ledger.usage_hourly ORDER BY 1, 2, 3, 4, 5`,
      )
      .then((r) => r.rows);

  beforeAll(async () => {
    ledger = await startLedger({ env: { JOURNAL_RETENTION: '40d', DEAD_LETTER_RETENTION: '30d', RETENTION_BATCH_SIZE: '2' } });
    await ledger.apply.execute(recordsOf([...oldEvents, recordEvent, taskEvent as never, ...recentEvents]));
    // Two records the ledger cannot read: one that arrived 31 days ago, one today.
    await ledger.apply.execute(recordsOf([Buffer.from('not json'), Buffer.from('nor this')], { firstOffset: 100 }));
    await ledger.db.query(`UPDATE ledger.dead_letters SET received_at = now() - interval '31 days' WHERE "offset" = 100`);
    retention = ledger.app.get(LedgerRetentionService);
    reconcile = new ReconcileService(ledger.app.get(DataSource));
  });
  afterAll(() => ledger?.close());

  it('keeps everything while the windows say keep (the default for the journal)', async () => {
    const keeping = await startLedger({ env: { JOURNAL_RETENTION: 'keep', DEAD_LETTER_RETENTION: 'keep' } });
    try {
      await keeping.apply.execute(recordsOf(oldEvents));
      await expect(keeping.app.get(LedgerRetentionService).runOnce()).resolves.toEqual({ dead_letters: 0, journal_entries: 0 });
      await expect(keeping.db.query(`SELECT count(*)::int AS n FROM ledger.entries`)).resolves.toMatchObject({ rows: [{ n: oldEvents.length }] });
    } finally {
      await keeping.close();
    }
  });

  it('deletes dead letters past DEAD_LETTER_RETENTION and folds journal entries past JOURNAL_RETENTION, totals unchanged', async () => {
    const totalsBefore = await actualTotals(ledger.db, users);
    const hourlyBefore = await hourly();
    const recordBefore = (await ledger.db.query(`SELECT revision::int, total_tokens::int FROM ledger.usage_records`)).rows;
    const taskBefore = await taskUsage();
    expect(taskBefore).toEqual([expect.objectContaining({ tokens_total: '42', events_count: '1' })]);
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });

    // Six old entries in batches of two: three fold transactions.
    await expect(retention.runOnce()).resolves.toEqual({ dead_letters: 1, journal_entries: 6 });
    await expect(ledger.db.query(`SELECT "offset"::int FROM ledger.dead_letters`)).resolves.toMatchObject({ rows: [{ offset: 101 }] });
    const { rows: left } = await ledger.db.query(`SELECT event_id::text FROM ledger.entries ORDER BY 1`);
    expect(left.map((r) => r.event_id)).toEqual(recentEvents.map((e) => e.id).sort());
    await expect(ledger.db.query(`SELECT count(*)::int AS n FROM ledger.folded_events`)).resolves.toMatchObject({ rows: [{ n: 6 }] });
    await expect(taskUsage()).resolves.toEqual(taskBefore);

    await expect(actualTotals(ledger.db, users)).resolves.toEqual(totalsBefore);
    await expect(hourly()).resolves.toEqual(hourlyBefore);
    await expect(ledger.db.query(`SELECT revision::int, total_tokens::int FROM ledger.usage_records`)).resolves.toMatchObject({ rows: recordBefore });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
    await expect(ledger.metric('ledger_retention_rows_total', { kind: 'journal_entries' })).resolves.toBe(6);
    await expect(ledger.metric('ledger_retention_rows_total', { kind: 'dead_letters' })).resolves.toBe(1);

    // The listing says from when it is complete: the start of the hour 40 days ago.
    const horizon = new Date(Math.floor((Date.now() - 40 * 24 * HOUR) / HOUR) * HOUR);
    const page = await ledger.http.as(ledger.token('analyst', ['usage:read_all'])).get('/v1/usage/entries?limit=10');
    expect(page.status).toBe(200);
    expect(page.body.list).toHaveLength(2);
    expect(Date.parse(page.body.complete_from)).toBe(horizon.getTime());
    await expect(ledger.metric('ledger_journal_complete_from_seconds')).resolves.toBe(horizon.getTime() / 1000);

    // A second sweep has nothing left to do.
    await expect(retention.runOnce()).resolves.toEqual({ dead_letters: 0, journal_entries: 0 });

    // Balances lost (a rebuild truncates them): reconcile --repair brings them back from journal + folded contributions.
    await ledger.db.query(`TRUNCATE ledger.user_totals, ledger.conversation_totals, ledger.message_totals, ledger.usage_hourly, ledger.usage_records`);
    await expect(reconcile.repair()).resolves.toMatchObject({ repaired: true });
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(totalsBefore);
    await expect(hourly()).resolves.toEqual(hourlyBefore);
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('a folded event delivered again is still a duplicate, and a later revision of a folded usage record counts its difference', async () => {
    const totalsBefore = await actualTotals(ledger.db, users);
    const again = await ledger.apply.execute(recordsOf([...oldEvents, recordEvent, taskEvent as never], { firstOffset: 200 }));
    expect(again).toMatchObject({ applied: {}, duplicates: oldEvents.length + 2, deadLetters: [] });
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(totalsBefore);

    const revised = aUsageRecordEvent({
      userId: users[0]!,
      externalId: 'run-1',
      revision: 2,
      usage: usageOf({ prompt_tokens: 150, completion_tokens: 10 }),
      previous: { revision: 1, usage: usageOf({ prompt_tokens: 100, completion_tokens: 10 }) },
      at: iso(old),
    });
    await ledger.apply.execute(recordsOf([revised], { firstOffset: 300 }));
    await expect(ledger.db.query(`SELECT revision::int, total_tokens::int FROM ledger.usage_records`)).resolves.toMatchObject({
      rows: [{ revision: 2, total_tokens: 160 }],
    });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('an erasure pseudonymises folded contributions like journal entries: no row keeps the user, reconcile finds no drift', async () => {
    const erasure = buildEnvelope(userErasedV1, {
      source: 'chat-gateway',
      data: { user_id: users[0]!, erasure_id: randomUUID(), requested_at: toRfc3339Micros(new Date()) },
    });
    const totalOf = async () => (await ledger.db.query(`SELECT sum(tokens_total)::int AS t, sum(cost_micros)::int AS c FROM ledger.user_totals`)).rows[0];
    const before = await totalOf();
    const result = await ledger.apply.execute(recordsOf([erasure as never], { firstOffset: 400 }));
    expect(result.erasures).toEqual([expect.objectContaining({ entries: 2 })]);
    await expect(totalOf()).resolves.toEqual(before);
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
    const { rows } = await ledger.db.query(
      `SELECT (SELECT count(*) FROM ledger.folded_balances WHERE "row"::text LIKE '%' || $1 || '%')::int AS folded,
              (SELECT count(*) FROM ledger.folded_balances WHERE "row"::text LIKE '%' || $2 || '%')::int AS conversation,
              (SELECT count(*) FROM ledger.entries WHERE user_id = $1)::int AS entries,
              (SELECT count(*) FROM ledger.usage_hourly WHERE user_id = $1)::int AS hourly`,
      [users[0], conversation],
    );
    expect(rows[0]).toEqual({ folded: 0, conversation: 0, entries: 0, hourly: 0 });
  });
});
