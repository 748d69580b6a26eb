import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Pool } from 'pg';
import { gatewayEvent } from '../harness/outbox-fill';
import { benchToken, runLoadProcess, startGateway } from '../harness/bench-apps';
import { median, ratio } from '../harness/stats';
import type { HttpLoadPlan, HttpLoadResult } from '../load/http-load';
import { post } from '../load/http-post';

/** What every write carries: an assistant message of 600 B with usage, as a chat backend records it. */
export const MESSAGE_CONTENT = 'x'.repeat(600);
export const MESSAGE_BODY = { role: 'assistant', content: MESSAGE_CONTENT, model: 'gpt-4o', usage: { prompt_tokens: 120, completion_tokens: 80 } };

/**
 * Scenario 1a: raw `pg`, `clients` connections, one transaction = one chat.messages row + one outbox.events
 * row of the gateway's sizes. The ceiling: no HTTP, no validation, no conversation counters, no locks.
 */
export async function rawWriteTps(url: string, clients: number, seconds: number, withNotifyTrigger = true): Promise<number> {
  const pool = new Pool({ connectionString: url, max: clients });
  pool.on('error', () => undefined); // idle clients terminated by the server's shutdown are expected
  try {
    await pool.query(`ALTER TABLE outbox.events ${withNotifyTrigger ? 'ENABLE' : 'DISABLE'} TRIGGER outbox_notify`);
    const convs: { id: string; user: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const c = { id: randomUUID(), user: `bench-raw-${i}` };
      await pool.query(`INSERT INTO chat.conversations (id, user_id, title, model) VALUES ($1, $2, 'bench', 'gpt-4o')`, [c.id, c.user]);
      convs.push(c);
    }
    let done = 0;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(
      convs.map(async (c) => {
        const client = await pool.connect();
        try {
          while (Date.now() < deadline) {
            const id = randomUUID();
            const event = gatewayEvent(c.user, c.id, id);
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO chat.messages (id, conversation_id, user_id, role, content, model,
             prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, total_tokens, created_at)
             VALUES ($1,$2,$3,'assistant',$4,'gpt-4o',120,80,0,0,200,now())`,
              [id, c.id, c.user, MESSAGE_CONTENT],
            );
            await client.query(`INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers) VALUES ($1,$2,$3,$4,$5)`, [
              event.envelope.id,
              'chat.message.recorded',
              c.user,
              JSON.stringify(event.envelope),
              JSON.stringify(event.headers),
            ]);
            await client.query('COMMIT');
            done++;
          }
        } finally {
          client.release();
        }
      }),
    );
    return done / seconds;
  } finally {
    await pool.query('ALTER TABLE outbox.events ENABLE TRIGGER outbox_notify').catch(() => undefined);
    await pool.end();
  }
}

/**
 * Scenarios 1b/1c: chat-gateway (its own process, relay off so only the write path runs) under a
 * closed-loop load from another process (autocannon): `clients` connections, each its own user posting to
 * its own conversation.
 */
export async function gatewayWriteTps(url: string, clients: number, seconds: number, skipOutbox: boolean): Promise<HttpLoadResult> {
  const gateway = await startGateway({ DATABASE_URL: url, RELAY_ENABLED: 'false' }, { withoutOutbox: skipOutbox });
  try {
    const agent = new Agent({ keepAlive: true });
    const workers: HttpLoadPlan['workers'] = [];
    for (let i = 0; i < clients; i++) {
      const token = await benchToken(`bench-gw-${skipOutbox ? 'nob' : 'ob'}-${i}`);
      const res = await post(agent, new URL('/v1/conversations', gateway.baseUrl), token, JSON.stringify({ title: 'bench', model: 'gpt-4o' }));
      if (res.status !== 201) throw new Error(`creating a conversation failed: ${res.status} ${res.text}`);
      workers.push({ token, conversationId: (JSON.parse(res.text) as { conversation_id: string }).conversation_id });
    }
    agent.destroy();
    const result = await runLoadProcess<HttpLoadResult>('http-load.js', {
      baseUrl: gateway.baseUrl,
      seconds,
      workers,
      body: MESSAGE_BODY,
    } satisfies HttpLoadPlan);
    if (result.failed > 0) throw new Error(`gateway write bench: ${result.failed} requests failed, first: ${result.firstError}`);
    return result;
  } finally {
    await gateway.app.stop();
  }
}

export interface WriteResult {
  raw_tps: number;
  gateway_tps: number;
  gateway_no_outbox_tps: number;
  ratio_vs_raw: number;
  outbox_overhead: number;
  runs: { raw: number[]; gateway: number[]; gateway_no_outbox: number[] };
}

/** Runs a, b and c interleaved (a, b, c, a, b, c, …) so slow drift of the machine hits all three alike. */
export async function writeScenario(url: string, opts: { runs: number; seconds: number; clients: number }, log: (s: string) => void): Promise<WriteResult> {
  const runs = { raw: [] as number[], gateway: [] as number[], gateway_no_outbox: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    runs.raw.push(Math.round(await rawWriteTps(url, opts.clients, opts.seconds)));
    runs.gateway.push(Math.round((await gatewayWriteTps(url, opts.clients, opts.seconds, false)).rps));
    runs.gateway_no_outbox.push(Math.round((await gatewayWriteTps(url, opts.clients, opts.seconds, true)).rps));
    log(
      `write run ${i + 1}/${opts.runs}: raw ${runs.raw[i]} tx/s, gateway ${runs.gateway[i]} req/s, gateway without outbox ${runs.gateway_no_outbox[i]} req/s`,
    );
  }
  const raw = median(runs.raw);
  const gw = median(runs.gateway);
  const gwNo = median(runs.gateway_no_outbox);
  return { raw_tps: raw, gateway_tps: gw, gateway_no_outbox_tps: gwNo, ratio_vs_raw: ratio(gw, raw), outbox_overhead: ratio(gwNo - gw, gwNo), runs };
}
