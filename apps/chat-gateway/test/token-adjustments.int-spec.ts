import { aUserId, anAdjustment, anAssistantMessage, errorOf } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';
import type { paths } from './openapi';

describe('token adjustments (internal services)', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  /** Clients typed by the gateway's OpenAPI document (and checked against it at run time). */
  const as = (userId: string, scopes: string[] = []) => gw.http.as(gw.token(userId, scopes)).typed<paths>();
  const service = () => as('title-service', ['tokens:adjust']);

  it('accepts a signed delta with 202 and writes a ledger.tokens.adjusted outbox row keyed by the user', async () => {
    const user = aUserId();
    const conversationId = (await as(user).post('/v1/conversations', {})).body.conversation_id;

    const res = await service().post(
      '/v1/token-adjustments',
      anAdjustment(user, { conversation_id: conversationId, tokens_delta: -15, triggered_at: '2026-11-23T10:00:00+01:00' }),
    );

    expect(res.status).toBe(202);
    expect(res.body).toEqual<typeof res.body>({ event_id: expect.any(String) });
    const { rows } = await gw.db.query(`SELECT * FROM outbox.events WHERE event_id = $1`, [res.body.event_id]);
    expect(rows[0]).toMatchObject({ event_type: 'ledger.tokens.adjusted', partition_key: user, status: 'pending' });
    expect(rows[0].payload).toMatchObject({
      id: res.body.event_id,
      type: 'ledger.tokens.adjusted',
      version: 3,
      data: {
        user_id: user,
        conversation_id: conversationId,
        message_id: null,
        tokens_delta: -15,
        reason: 'title_generation',
        triggered_at: '2026-11-23T09:00:00.000000Z',
      },
    });
  });

  it('derives the conversation from a message_id and rejects one that does not belong to the user', async () => {
    const user = aUserId();
    const msg = (await as(user).post('/v1/chat/messages', anAssistantMessage())).body;
    const ok = await service().post('/v1/token-adjustments', anAdjustment(user, { message_id: msg.message_id, reason: 'refund', tokens_delta: -200 }));
    expect(ok.status).toBe(202);
    const { rows } = await gw.db.query(`SELECT payload FROM outbox.events WHERE event_id = $1`, [ok.body.event_id]);
    expect(rows[0].payload.data).toMatchObject({ conversation_id: msg.conversation_id, message_id: msg.message_id });

    const wrongUser = await service().post('/v1/token-adjustments', anAdjustment(aUserId(), { message_id: msg.message_id }));
    expect(wrongUser.status).toBe(400);
    expect(errorOf(wrongUser).details[0]!.field).toBe('message_id');
  });

  it('requires the tokens:adjust scope', async () => {
    const user = aUserId();
    const res = await as(user).post('/v1/token-adjustments', anAdjustment(user));
    expect(res.status).toBe(403);
    expect(errorOf(res).code).toBe('FORBIDDEN');
  });

  it('honours Idempotency-Key', async () => {
    const user = aUserId();
    const body = anAdjustment(user);
    const headers = { 'Idempotency-Key': `adj-${user}` };
    const [a, b] = await Promise.all([service().post('/v1/token-adjustments', body, { headers }), service().post('/v1/token-adjustments', body, { headers })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.event_id).toBe(b.body.event_id);
    const { rows } = await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1`, [user]);
    expect(rows[0].n).toBe(1);
  });
});
