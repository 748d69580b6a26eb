import { aUserId, aUserMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

describe('per-user rate limit on writes', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ env: { RATE_LIMIT_WRITES_PER_SECOND: '1', RATE_LIMIT_WRITES_BURST: '3' } });
  });
  afterAll(() => gw.close());

  it('answers 429 with Retry-After past the burst, per user, and leaves reads alone', async () => {
    const alice = gw.http.as(gw.token(aUserId('alice')));
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await alice.post('/v1/chat/messages', aUserMessage())).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const limited = await alice.post('/v1/conversations', {});
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    await expect(alice.get('/v1/conversations')).resolves.toMatchObject({ status: 200 });
    await expect(gw.http.as(gw.token(aUserId('bob'))).post('/v1/chat/messages', aUserMessage())).resolves.toMatchObject({ status: 201 });
    const { rows } = await gw.db.query(`SELECT count(*)::int AS n FROM chat.messages`);
    expect(rows[0].n).toBe(4);
  });
});
