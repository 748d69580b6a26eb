import 'reflect-metadata';
import { budgetThresholdCrossedV1, buildEnvelope } from '@chat-ledger/contracts';
import { aUserId } from '@chat-ledger/testing';
import { aMessageEventV2, recordsOf, TokenEvent } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

/** Events that count nothing (budget thresholds for notification services) on the same topic as usage. */
describe('notices: valid events that count no tokens', () => {
  let ledger: LedgerTestApp;
  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(() => ledger?.close());

  const aThresholdEvent = (userId: string, threshold: 80 | 100, userSeq: number) => ({
    ...buildEnvelope(budgetThresholdCrossedV1, {
      source: 'chat-gateway',
      occurredAt: '2026-11-23T10:05:00.000000Z',
      data: {
        user_id: userId,
        metric: 'tokens',
        threshold_percent: threshold,
        limit: 1000,
        used: threshold * 10,
        period: 'day',
        tz: 'Europe/Berlin',
        mode: 'hard',
        period_start: '2026-11-22T23:00:00.000000Z',
        period_end: '2026-11-23T23:00:00.000000Z',
      },
    }),
    user_seq: userSeq,
  });

  it('are kept once, outside every total, and take their place in the user sequence', async () => {
    const user = aUserId('notified');
    const events = [
      { ...aMessageEventV2({ userId: user, usage: { prompt_tokens: 600, completion_tokens: 250 } }), user_seq: 1 },
      aThresholdEvent(user, 80, 2),
      { ...aMessageEventV2({ userId: user, usage: { prompt_tokens: 100, completion_tokens: 100 } }), user_seq: 3 },
      aThresholdEvent(user, 100, 4),
    ] as unknown as TokenEvent[];
    const first = await ledger.apply.execute(recordsOf(events));
    expect(first.applied).toEqual({ 'chat.message.recorded': 2, 'ledger.budget.threshold_crossed': 2 });
    expect(first.anomalies).toEqual([]);
    expect(first.deadLetters).toEqual([]);

    // A redelivery (or a replay of the whole outbox) changes nothing.
    const again = await ledger.apply.execute(recordsOf(events, { firstOffset: 100 }));
    expect(again).toMatchObject({ applied: {}, duplicates: 4, anomalies: [], deadLetters: [] });

    const { rows: notices } = await ledger.db.query(
      `SELECT event_type, user_seq::int, data->>'threshold_percent' AS threshold FROM ledger.notices WHERE user_id = $1 ORDER BY user_seq`,
      [user],
    );
    expect(notices).toEqual([
      { event_type: 'ledger.budget.threshold_crossed', user_seq: 2, threshold: '80' },
      { event_type: 'ledger.budget.threshold_crossed', user_seq: 4, threshold: '100' },
    ]);
    const usage = await ledger.http.as(ledger.token(user)).get(`/v1/users/${user}/usage`);
    expect(usage.body).toMatchObject({ tokens_total: 1050, messages_counted: 2 });
    const summary = await ledger.http.as(ledger.token(user)).get(`/v1/usage/summary?group_by=reason&user_id=${user}`);
    expect(summary.body.groups.map((g: { reason: string; events_count: number }) => [g.reason, g.events_count])).toEqual([['message', 2]]);
    await expect(ledger.db.query(`SELECT count(*)::int AS n FROM ledger.sequence_anomalies WHERE user_id = $1`, [user]).then((r) => r.rows[0].n)).resolves.toBe(
      0,
    );
  });

  it('a notice id seen again with another payload is a conflicting duplicate; an invalid one a dead letter', async () => {
    const user = aUserId('notified');
    const notice = aThresholdEvent(user, 80, 1);
    await ledger.apply.execute(recordsOf([notice as unknown as TokenEvent], { partition: 3 }));
    const changed = { ...notice, data: { ...notice.data, used: 999 } };
    const invalid = { ...aThresholdEvent(user, 100, 2), data: { ...notice.data, threshold_percent: 90 } };
    const result = await ledger.apply.execute(recordsOf([changed, invalid] as unknown as TokenEvent[], { partition: 3, firstOffset: 10 }));
    expect(result.deadLetters.map((d) => d.reason)).toEqual(['conflicting_duplicate', 'invalid_data']);
    expect(result.deadLetters[1]!.error).toContain('threshold_percent');
  });
});
