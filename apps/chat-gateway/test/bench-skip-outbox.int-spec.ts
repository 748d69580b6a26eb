import { aUserId, anAssistantMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

// BENCH_SKIP_OUTBOX_WRITE exists only so `npm run bench` can price the outbox row (scenario 1c).
// It must do exactly that: the message and its counters stored, no outbox row; and it is off by default.
describe('BENCH_SKIP_OUTBOX_WRITE (benchmark-only flag)', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ env: { BENCH_SKIP_OUTBOX_WRITE: 'true' } });
  });
  afterAll(() => gw.close());

  it('stores the message and bumps the conversation without writing an outbox row', async () => {
    const user = aUserId();
    const api = gw.http.as(gw.token(user));
    const conversation = await api.post('/v1/conversations', { title: 'bench' });
    await expect(conversation.status).toBe(201);

    const res = await api.post(
      `/v1/conversations/${conversation.body.conversation_id}/messages`,
      anAssistantMessage({ prompt_tokens: 12, completion_tokens: 8 }),
    );

    await expect(res.status).toBe(201);
    const messages = await gw.db.query('SELECT count(*)::int AS n FROM chat.messages WHERE id = $1', [res.body.message_id]);
    await expect(messages.rows[0].n).toBe(1);
    const outbox = await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1`, [user]);
    await expect(outbox.rows[0].n).toBe(0);
    const meta = await api.get(`/v1/conversations/${conversation.body.conversation_id}`);
    await expect(meta.body.message_count).toBe(1);
  });
});
