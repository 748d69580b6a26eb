import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildEnvelope, usageUpsertedV2 } from '@chat-ledger/contracts';
import { aUserId } from '@chat-ledger/testing';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { aMessageEvent, aMessageEventV3, aUsageRecordEvent, recordsOf, usageOf } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

/** A usage record revision in v2 (with its record's tenant), built on the v1 builder. */
function aUsageRecordEventV2(o: Parameters<typeof aUsageRecordEvent>[0] & { orgId: string | null; apiKeyId?: string | null }) {
  const v1 = aUsageRecordEvent(o);
  return buildEnvelope(usageUpsertedV2, {
    source: v1.source,
    occurredAt: v1.occurred_at,
    data: { ...v1.data, org_id: o.orgId, project_id: null, api_key_id: o.apiKeyId ?? null },
  });
}

describe('ledger: tenants in the journal, the rollup and the balances', () => {
  let ledger: LedgerTestApp;
  let reconcile: ReconcileService;
  const [ada, bob] = [aUserId('ada'), aUserId('bob')];
  const conversation = randomUUID();
  const at = '2026-11-23T10:15:00.000000Z';

  beforeAll(async () => {
    ledger = await startLedger();
    reconcile = new ReconcileService(ledger.app.get(DataSource));
    const ops = ledger.http.as(ledger.token('ops', ['prices:admin']));
    await ops.put('/v1/admin/prices/gpt-4o', { effective_from: '2026-01-01T00:00:00Z', input_per_mtok: '2', output_per_mtok: '8' });
    const result = await ledger.apply.execute(
      recordsOf([
        // An event of an older contract version: no tenant, in the same hour and conversation as the tenant ones.
        aMessageEvent({ userId: ada, conversationId: conversation, at, usage: { prompt_tokens: 10, completion_tokens: 10 } }),
        aMessageEventV3({ userId: ada, conversationId: conversation, at, orgId: 'org-a', projectId: 'p1', apiKeyId: 'k1' }),
        aMessageEventV3({ userId: ada, conversationId: conversation, at, orgId: 'org-a', projectId: 'p1', apiKeyId: 'k2' }),
        aMessageEventV3({ userId: bob, at, orgId: 'org-b' }),
        aUsageRecordEventV2({ userId: bob, externalId: 'run-1', revision: 1, usage: usageOf({ prompt_tokens: 40, completion_tokens: 0 }), orgId: 'org-b' }),
        // The same record named in another organisation: a dead letter, never counted in either.
        aUsageRecordEventV2({
          userId: bob,
          externalId: 'run-1',
          revision: 2,
          previous: { revision: 1, usage: usageOf({ prompt_tokens: 40, completion_tokens: 0 }) },
          usage: usageOf({ prompt_tokens: 90, completion_tokens: 0 }),
          orgId: 'org-a',
        }),
      ]),
    );
    expect(result.deadLetters.map((d) => [d.reason, d.error])).toEqual([['usage_record_mismatch', expect.stringContaining('org_id org-b')]]);
  });
  afterAll(() => ledger?.close());

  const rollup = async () =>
    (
      await ledger.db.query(
        `SELECT user_id, org_id, project_id, api_key_id, sum(events_count)::int AS events_count, sum(tokens_delta)::int AS tokens_delta
           FROM ledger.usage_hourly GROUP BY 1, 2, 3, 4 ORDER BY user_id, org_id NULLS FIRST, api_key_id NULLS FIRST`,
      )
    ).rows;

  it('keys the rollup by tenant (older events as none), and balances carry their organisation', async () => {
    await expect(rollup()).resolves.toEqual([
      { user_id: ada, org_id: null, project_id: null, api_key_id: null, events_count: 1, tokens_delta: 20 },
      { user_id: ada, org_id: 'org-a', project_id: 'p1', api_key_id: 'k1', events_count: 1, tokens_delta: 150 },
      { user_id: ada, org_id: 'org-a', project_id: 'p1', api_key_id: 'k2', events_count: 1, tokens_delta: 150 },
      { user_id: bob, org_id: 'org-b', project_id: null, api_key_id: null, events_count: 2, tokens_delta: 190 },
    ]);
    const { rows } = await ledger.db.query(
      `SELECT (SELECT org_id FROM ledger.user_totals WHERE user_id = $1) AS ada, (SELECT org_id FROM ledger.user_totals WHERE user_id = $2) AS bob,
              (SELECT org_id || '/' || project_id FROM ledger.conversation_totals WHERE conversation_id = $3) AS conversation,
              (SELECT org_id FROM ledger.usage_records WHERE external_id = 'run-1') AS record`,
      [ada, bob, conversation],
    );
    expect(rows[0]).toEqual({ ada: 'org-a', bob: 'org-b', conversation: 'org-a/p1', record: 'org-b' });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('a reprice writes its corrections in the tenant of the event it corrects', async () => {
    const ops = ledger.http.as(ledger.token('ops', ['prices:admin']));
    await ops.put('/v1/admin/prices/gpt-4o', { effective_from: '2026-11-01T00:00:00Z', input_per_mtok: '3', output_per_mtok: '9' });
    await expect(ops.post('/v1/admin/prices/reprice', { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).resolves.toMatchObject({ status: 200 });
    const { rows } = await ledger.db.query(
      `SELECT c.org_id, c.api_key_id, e.org_id AS event_org, e.api_key_id AS event_key
         FROM ledger.entries c JOIN ledger.entries e ON e.event_id = c.corrects_event_id WHERE c.event_type = 'ledger.cost.corrected'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect([row.org_id, row.api_key_id]).toEqual([row.event_org, row.event_key]);
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('its migration goes down folding the tenants of the rollup back together, and up again as no tenant', async () => {
    const dataSource = ledger.app.get(DataSource);
    const sums = async () =>
      (await ledger.db.query(`SELECT user_id, sum(tokens_delta)::int AS tokens, sum(cost_micros)::int AS cost FROM ledger.usage_hourly GROUP BY 1 ORDER BY 1`))
        .rows;
    const before = await sums();
    const executed = async () => (await ledger.db.query(`SELECT name FROM ledger_migrations ORDER BY id`)).rows.map((r) => r.name as string);
    // Down to before it (later migrations of other features go down on the way), then everything up again.
    let reverted = 0;
    while ((await executed()).includes('Tenants1766000000000')) {
      await dataSource.undoLastMigration();
      reverted += 1;
    }
    // One row per key of before the tenants: ada's three (tenant apart) are one again; bob's message and usage record stay two.
    await expect(ledger.db.query(`SELECT count(*)::int AS n FROM ledger.usage_hourly`)).resolves.toMatchObject({ rows: [{ n: 3 }] });
    await expect(sums()).resolves.toEqual(before);
    await expect(dataSource.runMigrations()).resolves.toHaveLength(reverted);
    await expect(rollup()).resolves.toEqual([
      { user_id: ada, org_id: null, project_id: null, api_key_id: null, events_count: 3, tokens_delta: 320 },
      { user_id: bob, org_id: null, project_id: null, api_key_id: null, events_count: 2, tokens_delta: 190 },
    ]);
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });
});
