import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

/** Scenario 1a: raw `pg`, N clients, one tx = one chat.messages row + one chat.outbox row (gateway-sized). */
export async function rawWriteTps(url: string, clients: number, seconds: number, withNotifyTrigger = true): Promise<number> {
  const pool = new Pool({ connectionString: url, max: clients });
  pool.on('error', () => undefined); // idle clients terminated by the server's shutdown are expected
  try {
    await pool.query(`ALTER TABLE chat.outbox ${withNotifyTrigger ? 'ENABLE' : 'DISABLE'} TRIGGER outbox_notify`);
    const convs: { id: string; user: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const c = { id: randomUUID(), user: `bench-u-${i}` };
      await pool.query(`INSERT INTO chat.conversations (id, user_id, title, model) VALUES ($1, $2, 'bench', 'gpt-4o')`, [c.id, c.user]);
      convs.push(c);
    }
    const content = 'x'.repeat(600);
    let done = 0;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(convs.map(async (c) => {
      const client = await pool.connect();
      try {
        while (Date.now() < deadline) {
          const id = randomUUID();
          const usage = { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 200 };
          const payload = { id: randomUUID(), type: 'chat.message.recorded', version: 1, source: 'chat-gateway', occurred_at: new Date().toISOString(),
            data: { user_id: c.user, conversation_id: c.id, message_id: id, role: 'assistant', model: 'gpt-4o', usage, tokens_delta: 200 } };
          await client.query('BEGIN');
          await client.query(`INSERT INTO chat.messages (id, conversation_id, user_id, role, content, model,
             prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, total_tokens, created_at)
             VALUES ($1,$2,$3,'assistant',$4,'gpt-4o',120,80,0,0,200,now())`, [id, c.id, c.user, content]);
          await client.query(`INSERT INTO chat.outbox (event_id, event_type, partition_key, payload, headers) VALUES ($1,$2,$3,$4,$5)`,
            [payload.id, payload.type, c.user, JSON.stringify(payload), JSON.stringify({ 'event-id': payload.id, 'event-type': payload.type })]);
          await client.query('COMMIT');
          done++;
        }
      } finally { client.release(); }
    }));
    return done / seconds;
  } finally { await pool.end(); }
}
