import { OutboxWriter } from '@chat-ledger/outbox';
import { aUserId, anAdjustment, anAssistantMessage } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

/** Writes nothing, like the benchmark's gateway without outbox rows (bench/apps/gateway-without-outbox.ts). */
class NothingWriter extends OutboxWriter {
  override get storesRows(): boolean {
    return false;
  }

  override async append(): Promise<void> {
    // nothing
  }
}

// A host may hand the gateway another OutboxWriter (createGatewayApp's options); the benchmark does, to price the
// outbox row. Every use case must then write with it: the message and its counters stored, no outbox row.
describe('createGatewayApp with another OutboxWriter', () => {
  let gw: GatewayTestApp;
  beforeAll(async () => {
    gw = await startGateway({ appOptions: { outboxWriter: new NothingWriter() } });
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

  it('writes token adjustments with it too', async () => {
    const user = aUserId();
    const res = await gw.http.as(gw.token('title-service', ['tokens:adjust'])).post('/v1/token-adjustments', anAdjustment(user));
    await expect(res.status).toBe(202); // accepted: the ledger applies it
    const outbox = await gw.db.query(`SELECT count(*)::int AS n FROM outbox.events WHERE partition_key = $1`, [user]);
    await expect(outbox.rows[0].n).toBe(0);
  });
});
