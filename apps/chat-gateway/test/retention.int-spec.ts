import { anAssistantMessage, aUserId, aUserMessage } from '@chat-ledger/testing';
import { ChatRetentionService } from '../src/retention/chat-retention.service';
import { GatewayTestApp, startGateway } from './gateway-test-app';

/**
 * The gateway's data lifecycle on real PostgreSQL: a purge on delete (?purge=true), and the retention windows
 * MESSAGE_RETENTION (content emptied, messages and usage kept) and DELETED_CONVERSATION_RETENTION (soft-deleted
 * conversations purged), swept in batches of RETENTION_BATCH_SIZE.
 */
describe('conversation purge and chat retention', () => {
  let gw: GatewayTestApp;
  let retention: ChatRetentionService;
  beforeAll(async () => {
    gw = await startGateway({ env: { MESSAGE_RETENTION: '30d', DELETED_CONVERSATION_RETENTION: '7d', RETENTION_BATCH_SIZE: '2' } });
    retention = gw.app.get(ChatRetentionService);
  });
  afterAll(() => gw.close());

  async function aConversation(user: string, messages: number): Promise<string> {
    const api = gw.http.as(gw.token(user));
    const id = (await api.post('/v1/conversations', { title: 'to be forgotten' })).body.conversation_id;
    for (let i = 0; i < messages; i++) {
      const res = await api.post(`/v1/conversations/${id}/messages`, i % 2 ? anAssistantMessage() : aUserMessage({ content: `words ${i}` }));
      expect(res.status).toBe(201);
    }
    return id;
  }
  const rowsOf = async (conversationId: string) =>
    (
      await gw.db.query(
        `SELECT (SELECT count(*) FROM chat.conversations WHERE id = $1)::int AS conversations,
                (SELECT count(*) FROM chat.messages WHERE conversation_id = $1)::int AS messages`,
        [conversationId],
      )
    ).rows[0];

  it('DELETE keeps a soft delete by default; ?purge=true removes the conversation and its messages for good', async () => {
    const user = aUserId('purger');
    const api = gw.http.as(gw.token(user));
    const soft = await aConversation(user, 2);
    await expect(api.delete(`/v1/conversations/${soft}`)).resolves.toMatchObject({ status: 204 });
    await expect(rowsOf(soft)).resolves.toEqual({ conversations: 1, messages: 2 });
    // A soft-deleted conversation can still be purged; someone else's cannot (not found, nothing changes).
    await expect(gw.http.as(gw.token(aUserId('other'))).delete(`/v1/conversations/${soft}?purge=true`)).resolves.toMatchObject({ status: 404 });
    await expect(api.delete(`/v1/conversations/${soft}?purge=true`)).resolves.toMatchObject({ status: 204 });
    await expect(rowsOf(soft)).resolves.toEqual({ conversations: 0, messages: 0 });
    await expect(api.delete(`/v1/conversations/${soft}?purge=true`)).resolves.toMatchObject({ status: 404 });
    const bad = await api.delete(`/v1/conversations/${soft}?purge=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: 'purge' })]);
  });

  it('empties message content past MESSAGE_RETENTION and purges conversations deleted longer ago than DELETED_CONVERSATION_RETENTION', async () => {
    const user = aUserId('retained');
    const api = gw.http.as(gw.token(user));
    const aged = await aConversation(user, 5);
    const fresh = await aConversation(user, 1);
    const deletedLongAgo = await aConversation(user, 2);
    const deletedToday = await aConversation(user, 1);
    for (const id of [deletedLongAgo, deletedToday]) await api.delete(`/v1/conversations/${id}`);
    await gw.db.query(`UPDATE chat.messages SET created_at = now() - interval '31 days' WHERE conversation_id = $1`, [aged]);
    await gw.db.query(`UPDATE chat.conversations SET deleted_at = now() - interval '8 days' WHERE id = $1`, [deletedLongAgo]);

    // Five aged messages in batches of two; the deleted conversations' messages are young.
    await expect(retention.runOnce()).resolves.toEqual({ message_content: 5, deleted_conversations: 1 });
    const { rows } = await gw.db.query(
      `SELECT conversation_id::text, count(*) FILTER (WHERE content = '')::int AS emptied, count(*)::int AS messages
         FROM chat.messages WHERE conversation_id = ANY($1::uuid[]) GROUP BY 1`,
      [[aged, fresh, deletedToday, deletedLongAgo]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.conversation_id, [r.emptied, r.messages]]))).toEqual({
      [aged]: [5, 5],
      [fresh]: [0, 1],
      [deletedToday]: [0, 1],
    });
    await expect(rowsOf(deletedLongAgo)).resolves.toEqual({ conversations: 0, messages: 0 });
    // The history still lists the messages, with their usage, without their words.
    const history = await api.get(`/v1/conversations/${aged}/messages`);
    expect(history.body.list.map((m: { content: string }) => m.content)).toEqual(['', '', '', '', '']);
    const metrics: string = (await gw.http.get('/metrics')).body;
    expect(metrics).toContain('gateway_retention_rows_total{kind="message_content"} 5');
    expect(metrics).toContain('gateway_retention_rows_total{kind="deleted_conversations"} 1');

    await expect(retention.runOnce()).resolves.toEqual({ message_content: 0, deleted_conversations: 0 });
  });
});
