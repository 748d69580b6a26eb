import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildEnvelope, toRfc3339Micros, userErasedV1, UserErasedV1Event } from '@chat-ledger/contracts';
import { aUserId } from '@chat-ledger/testing';
import type { ConsumedRecord } from '../src/ingest/consumed-record';
import { ReconcileService } from '../src/reconcile/reconcile.service';
import { aMessageEvent, anAdjustmentEvent, encode, TokenEvent } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

/**
 * user.erased in the ledger, without Kafka around it: what one partition holds of a user (their events, a record
 * keyed by them that the ledger cannot read, the erasure, then the same id used again) applied once, then read
 * again from the beginning. The erased part stays pseudonymised and brings nothing back; the user's later data
 * stays theirs; totals and reconcile never move.
 */
describe('user erasure in the ledger', () => {
  let ledger: LedgerTestApp;
  let reconcile: ReconcileService;
  const user = aUserId('leaving');
  const other = aUserId('bystander');
  const conversation = randomUUID();
  const erasureId = randomUUID();
  const erasure: UserErasedV1Event = buildEnvelope(userErasedV1, {
    source: 'chat-gateway',
    data: { user_id: user, erasure_id: erasureId, requested_at: toRfc3339Micros(new Date()) },
  });
  const before: TokenEvent[] = [
    aMessageEvent({ userId: user, conversationId: conversation, at: '2026-11-01T10:00:00Z', usage: { prompt_tokens: 100, completion_tokens: 20 } }),
    anAdjustmentEvent({ userId: user, conversationId: conversation, delta: 5, at: '2026-11-01T10:05:00Z' }),
  ];
  const after: TokenEvent[] = [aMessageEvent({ userId: user, at: '2026-11-02T10:00:00Z', usage: { prompt_tokens: 7, completion_tokens: 3 } })];
  const bystander = aMessageEvent({ userId: other, at: '2026-11-01T11:00:00Z', usage: { prompt_tokens: 50, completion_tokens: 50 } });
  const poison = (text: string) => Buffer.from(JSON.stringify({ id: 'broken', data: { user_id: user, text } }));
  // One partition, in offset order: what the user did, a poison record keyed by them, the erasure, then new activity.
  const partition: Array<TokenEvent | UserErasedV1Event | Buffer> = [...before, bystander, poison('before'), erasure, ...after, poison('after')];
  const records = (): ConsumedRecord[] =>
    partition.map((e, i) => ({
      topic: 'token-events',
      partition: 3,
      offset: String(i),
      key: Buffer.from(Buffer.isBuffer(e) ? user : e.data.user_id),
      value: Buffer.isBuffer(e) ? e : encode(e),
      headers: {},
      timestamp: String(Date.now()),
    }));
  const state = async () =>
    (
      await ledger.db.query(
        `SELECT (SELECT coalesce(sum(tokens_total), 0)::int FROM ledger.user_totals) AS all_tokens,
                (SELECT tokens_total::int FROM ledger.user_totals WHERE user_id = $1) AS user_tokens,
                (SELECT array_agg(tokens_total::int) FROM ledger.user_totals WHERE user_id LIKE 'erased-%') AS pseudonyms,
                (SELECT array_agg("offset"::int ORDER BY "offset") FROM ledger.dead_letters) AS dead_letters,
                (SELECT count(*)::int FROM ledger.conversation_owners WHERE user_id = $1) AS owners,
                (SELECT count(*)::int FROM ledger.entries WHERE user_id = $1) AS entries`,
        [user],
      )
    ).rows[0];

  beforeAll(async () => {
    ledger = await startLedger();
    reconcile = new ReconcileService(ledger.app.get(DataSource));
  });
  afterAll(() => ledger?.close());

  it('pseudonymises what came before the erasure and keeps what the same id did after it', async () => {
    const result = await ledger.apply.execute(records());
    expect(result.erasures).toEqual([{ first: true, entries: 2, folded_rows: 0, notices: 0, dead_letters: 1 }]);
    await expect(state()).resolves.toEqual({
      all_tokens: 125 + 100 + 10,
      user_tokens: 10,
      pseudonyms: [125],
      // the poison record after the erasure is the user's again (the same id, used again)
      dead_letters: [6],
      // the conversation of their new message; the erased one's owner is gone
      owners: 1,
      entries: 1,
    });
    await expect(ledger.db.query(`SELECT erasure_id::text, entries FROM ledger.erasures`)).resolves.toMatchObject({
      rows: [{ erasure_id: erasureId, entries: 2 }],
    });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
  });

  it('read again from the beginning: nothing comes back, the later data stays theirs, totals unchanged', async () => {
    const first = await state();
    const again = await ledger.apply.execute(records());
    expect(again.applied).toEqual({});
    // The poison record before the erasure is stored again by the re-read, and erased again right after it.
    expect(again.erasures).toEqual([{ first: false, entries: 0, folded_rows: 0, notices: 0, dead_letters: 1 }]);
    await expect(state()).resolves.toEqual(first);
    await expect(ledger.db.query(`SELECT count(*)::int AS n FROM ledger.erasures`)).resolves.toMatchObject({ rows: [{ n: 1 }] });
    await expect(reconcile.check()).resolves.toMatchObject({ drifted: 0 });
    await expect(ledger.metric('ledger_user_erasures_total')).resolves.toBe(2);
  });
});
