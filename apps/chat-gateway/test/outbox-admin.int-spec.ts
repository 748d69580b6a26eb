import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { Client } from 'pg';
import { aUserId, aUserMessage, eventually, HttpClient, OwnKafka, startOwnKafka } from '@chat-ledger/testing';
import { kafkaOrderByKey, TopicReader } from '@chat-ledger/outbox/testing';
import { GatewayTestApp, startGateway } from './gateway-test-app';

// chat-gateway with the relay inside (RELAY_ENABLED) against a broker of this file's own (behind a fault
// proxy, since one test cuts the network to it), plus a second gateway
// without relay whose outbox rows stay exactly as seeded (for exact list and stats assertions).

const TOPIC = 'token-events';
const ADMIN = 'ops-alice';

interface SeedRow {
  user: string;
  type?: string;
  status?: 'pending' | 'published' | 'dead';
  attempts?: number;
  /** SQL expressions */
  createdAt?: string;
  publishedAt?: string;
  nextAttemptAt?: string;
  lastError?: string;
  /** Bytes of padding in the payload (the relay publishes it as is). */
  padding?: number;
}

async function seed(db: Client, rows: SeedRow[]): Promise<Array<{ id: number; event_id: string }>> {
  const out: Array<{ id: number; event_id: string }> = [];
  for (const r of rows) {
    const eventId = randomUUID();
    const type = r.type ?? 'chat.message.recorded';
    const status = r.status ?? 'pending';
    const {
      rows: [row],
    } = await db.query(
      `INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers, status, attempts, last_error,
                                created_at, next_attempt_at, published_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${r.createdAt ?? 'now()'}, ${r.nextAttemptAt ?? 'now()'},
               ${r.publishedAt ?? (status === 'published' ? 'now()' : 'NULL')})
       RETURNING id::int, event_id`,
      [
        eventId,
        type,
        r.user,
        JSON.stringify({
          id: eventId,
          type,
          version: 1,
          source: 'seed',
          occurred_at: '2026-01-01T00:00:00.000000Z',
          data: { user_id: r.user, ...(r.padding ? { padding: 'p'.repeat(r.padding) } : {}) },
        }),
        JSON.stringify({ 'event-id': eventId, 'event-type': type, 'content-type': 'application/json' }),
        status,
        r.attempts ?? 0,
        r.lastError ?? null,
      ],
    );
    out.push(row);
  }
  return out;
}

describe('outbox admin API (chat-gateway)', () => {
  let kafka: OwnKafka;
  let reader: TopicReader;
  let gw: GatewayTestApp; // relay enabled
  let quiet: GatewayTestApp; // relay disabled, seeded rows
  let admin: HttpClient;
  let quietAdmin: HttpClient;
  const logLines: string[] = [];

  beforeAll(async () => {
    kafka = await startOwnKafka([{ name: TOPIC, partitions: 16 }]);
    reader = await TopicReader.start(kafka.brokers, TOPIC);
    gw = await startGateway({
      logLines,
      env: {
        RELAY_ENABLED: 'true',
        KAFKA_BROKERS: kafka.faultyBrokers,
        KAFKA_TOPIC_PARTITIONS: '16',
        OUTBOX_MAX_ATTEMPTS: '2',
        OUTBOX_RETRY_BASE: '50ms',
        OUTBOX_RETRY_MAX: '200ms',
        OUTBOX_SEND_TIMEOUT: '2s',
        OUTBOX_REBALANCE_INTERVAL: '100ms',
      },
    });
    quiet = await startGateway();
    admin = gw.http.as(gw.token(ADMIN, ['outbox:admin']));
    quietAdmin = quiet.http.as(quiet.token(ADMIN, ['outbox:admin']));
  });

  afterAll(async () => {
    await gw?.close();
    await quiet?.close();
    await reader?.stop();
    await kafka?.stop();
  });

  async function setTopicMaxBytes(bytes: number): Promise<void> {
    const kafkaAdmin = kafka.broker.admin();
    await kafkaAdmin.connect();
    try {
      await kafkaAdmin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }],
      });
    } finally {
      await kafkaAdmin.disconnect();
    }
  }

  const outboxIds = async (db: Client, user: string) =>
    (await db.query(`SELECT id::int AS id, event_id, status FROM outbox.events WHERE partition_key = $1 ORDER BY id`, [user])).rows as Array<{
      id: number;
      event_id: string;
      status: string;
    }>;

  async function postMessages(user: string, n: number): Promise<void> {
    const api = gw.http.as(gw.token(user));
    for (let i = 0; i < n; i++) expect((await api.post('/v1/chat/messages', aUserMessage({ content: `m${i}` }))).status).toBe(201);
  }

  describe('access', () => {
    // Every row has all three values: jest passes `done` to a test function with more parameters than the row.
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/v1/admin/outbox', undefined],
      ['GET', '/v1/admin/outbox/stats', undefined],
      ['POST', '/v1/admin/outbox/replay', { dry_run: true }],
      ['POST', '/v1/admin/outbox/1/retry', undefined],
      ['POST', '/v1/admin/outbox/1/skip', { reason: 'not needed' }],
    ];

    it.each(routes)('%s %s: 401 without a token, 403 without the outbox:admin scope', async (method, path, body) => {
      const anonymous = await quiet.http.request(method, path, body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
      const user = await quiet.http.as(quiet.token('someone', ['tokens:adjust'])).request(method, path, body);
      expect(user.status).toBe(403);
      expect(user.body).toEqual({
        error: { code: 'FORBIDDEN', message: 'missing scope: outbox:admin', details: [{ field: 'scope', problem: 'requires outbox:admin' }] },
      });
    });

    it('/metrics is public and speaks the Prometheus text format', async () => {
      const res = await fetch(`${quiet.http.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain('# TYPE outbox_pending_rows gauge');
      expect(text).toContain('# TYPE outbox_published_total counter');
      expect(text).toContain('# TYPE outbox_publish_batch_duration_seconds histogram');
    });
  });

  describe('bad parameters are 400 with the field named', () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/v1/admin/outbox?status=sent', undefined, 'status'],
      ['GET', '/v1/admin/outbox?limit=0', undefined, 'limit'],
      ['GET', '/v1/admin/outbox?limit=501', undefined, 'limit'],
      ['GET', '/v1/admin/outbox?limit=ten', undefined, 'limit'],
      ['GET', '/v1/admin/outbox?sort=created_at', undefined, 'sort'],
      ['GET', '/v1/admin/outbox?from=yesterday', undefined, 'from'],
      ['GET', '/v1/admin/outbox?to=2026-01-01T10:00:00', undefined, 'to'],
      ['GET', '/v1/admin/outbox?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', undefined, 'from'],
      ['GET', '/v1/admin/outbox?user_id=has%20space', undefined, 'user_id'],
      ['GET', '/v1/admin/outbox?cursor=not-a-cursor', undefined, 'cursor'],
      ['GET', '/v1/admin/outbox?status=dead&status=pending', undefined, 'status'],
      ['GET', '/v1/admin/outbox?colour=red', undefined, 'colour'],
      ['POST', '/v1/admin/outbox/replay', { from_id: 10, to_id: 5 }, 'from_id'],
      ['POST', '/v1/admin/outbox/replay', { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
      ['POST', '/v1/admin/outbox/replay', { from_id: 0 }, 'from_id'],
      ['POST', '/v1/admin/outbox/replay', { from_id: '5' }, 'from_id'],
      ['POST', '/v1/admin/outbox/replay', { event_types: [] }, 'event_types'],
      ['POST', '/v1/admin/outbox/replay', { event_types: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'event_types'],
      ['POST', '/v1/admin/outbox/replay', { user_ids: 'u-1' }, 'user_ids'],
      ['POST', '/v1/admin/outbox/replay', { user_ids: ['ok', 'not ok'] }, 'user_ids'],
      ['POST', '/v1/admin/outbox/replay', { dry_run: 'yes' }, 'dry_run'],
      ['POST', '/v1/admin/outbox/replay', { status: 'dead' }, 'status'],
      ['POST', '/v1/admin/outbox/abc/retry', undefined, 'id'],
      ['POST', '/v1/admin/outbox/-1/retry', undefined, 'id'],
    ];

    it.each(cases)('%s %s %j → 400 naming %s', async (method, path, body, field) => {
      const res = await quietAdmin.request(method, path, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
      expect(res.body.error.details).toEqual(expect.arrayContaining([{ field, problem: expect.any(String) }]));
    });

    it('a cursor only continues the sort it was made for', async () => {
      await seed(quiet.db, [{ user: 'cursor-user' }, { user: 'cursor-user' }]);
      const first = await quietAdmin.get('/v1/admin/outbox?user_id=cursor-user&limit=1&sort=-id');
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const res = await quietAdmin.get(`/v1/admin/outbox?user_id=cursor-user&limit=1&sort=id&cursor=${first.body.next_cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ field: 'cursor', problem: 'was issued for sort=-id, not sort=id' }]);
    });
  });

  it('lists rows by status, type, user and time, newest or oldest first, in keyset pages', async () => {
    const user = aUserId('list');
    const other = aUserId('list-other');
    const rows = await seed(quiet.db, [
      { user, createdAt: `'2026-01-01T10:00:00Z'`, status: 'published', publishedAt: `'2026-01-01T10:00:01Z'` },
      { user, createdAt: `'2026-01-01T11:00:00Z'`, status: 'dead', attempts: 10, lastError: 'broker said no' },
      { user, createdAt: `'2026-01-01T12:00:00Z'`, type: 'ledger.tokens.adjusted' },
      { user: other, createdAt: `'2026-01-01T11:30:00Z'` },
      { user, createdAt: `'2026-01-01T13:00:00Z'` },
    ]);
    const ids = (res: { body: { list: Array<{ id: number }> } }) => res.body.list.map((r) => r.id);
    const mine = [rows[0]!.id, rows[1]!.id, rows[2]!.id, rows[4]!.id];

    const all = await quietAdmin.get(`/v1/admin/outbox?user_id=${user}`);
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual([...mine].reverse());
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.list[2]).toEqual({
      id: rows[1]!.id,
      event_id: rows[1]!.event_id,
      event_type: 'chat.message.recorded',
      user_id: user,
      shard: expect.any(Number),
      status: 'dead',
      attempts: 10,
      next_attempt_at: expect.stringMatching(/Z$/),
      last_error: 'broker said no',
      created_at: '2026-01-01T11:00:00.000000Z',
      published_at: null,
      headers: { 'event-id': rows[1]!.event_id, 'event-type': 'chat.message.recorded', 'content-type': 'application/json' },
      payload: expect.objectContaining({ id: rows[1]!.event_id }),
    });
    expect(ids(await quietAdmin.get(`/v1/admin/outbox?user_id=${user}&sort=id`))).toEqual(mine);
    expect(ids(await quietAdmin.get(`/v1/admin/outbox?user_id=${user}&status=dead`))).toEqual([rows[1]!.id]);
    expect(ids(await quietAdmin.get(`/v1/admin/outbox?user_id=${user}&event_type=ledger.tokens.adjusted`))).toEqual([rows[2]!.id]);
    expect(ids(await quietAdmin.get(`/v1/admin/outbox?from=2026-01-01T10:30:00Z&to=2026-01-01T12:00:00Z&sort=id`))).toEqual([
      rows[1]!.id,
      rows[2]!.id,
      rows[3]!.id,
    ]);

    for (const sort of ['id', '-id']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await quietAdmin.get(`/v1/admin/outbox?user_id=${user}&limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.list.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(sort === 'id' ? mine : [...mine].reverse());
    }
  });

  it('stats: pending, retrying, oldest pending age, dead, published in the last minute, relays and their shards', async () => {
    await quiet.db.query(`DELETE FROM outbox.events`);
    await seed(quiet.db, [
      { user: 'stats-a', createdAt: `now() - interval '120 seconds'` },
      { user: 'stats-a', createdAt: `now() - interval '60 seconds'`, attempts: 2, nextAttemptAt: `now() + interval '1 hour'`, lastError: 'x' },
      { user: 'stats-b', createdAt: `now() - interval '30 seconds'` },
      { user: 'stats-c', status: 'dead', attempts: 20 },
      { user: 'stats-c', status: 'dead', attempts: 20 },
      ...Array.from({ length: 4 }, () => ({ user: 'stats-d', status: 'published' as const, publishedAt: `now() - interval '10 seconds'` })),
      { user: 'stats-d', status: 'published', publishedAt: `now() - interval '2 minutes'` },
    ]);

    const res = await quietAdmin.get('/v1/admin/outbox/stats');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      pending: 3,
      retrying: 1,
      oldest_pending_age_seconds: expect.any(Number),
      dead: 2,
      published_last_minute: 4,
      relays: [], // this gateway runs without relay
      unassigned_shards: Array.from({ length: 64 }, (_, i) => i),
      // stats-a waits behind its retrying row (nothing after it yet); stats-c behind its first dead row.
      held_users_count: 2,
      held_users: [
        expect.objectContaining({ user_id: 'stats-a', blocking_status: 'pending', attempts: 2, last_error: 'x', waiting: 0 }),
        expect.objectContaining({ user_id: 'stats-c', blocking_status: 'dead', attempts: 20, waiting: 0 }),
      ],
    });
    expect(res.body.oldest_pending_age_seconds).toBeGreaterThanOrEqual(120);
    expect(res.body.oldest_pending_age_seconds).toBeLessThan(130);

    // The gateway with the relay: one instance holding all 64 shards.
    await eventually(async () => {
      const withRelay = await admin.get('/v1/admin/outbox/stats');
      expect(withRelay.body.relays).toEqual([
        {
          instance_id: expect.any(String),
          pid: expect.any(Number),
          connected_at: expect.stringMatching(/Z$/),
          shards: Array.from({ length: 64 }, (_, i) => i),
        },
      ]);
      expect(withRelay.body.unassigned_shards).toEqual([]);
    });
  });

  it('replay: a dry run only counts; a replay re-publishes exactly the matched rows with their original event ids, and is audited', async () => {
    const user = aUserId('replay');
    await postMessages(user, 6);
    const rows = await outboxIds(gw.db, user);
    expect(rows).toHaveLength(6);
    await reader.waitFor(rows.map((r) => r.event_id));
    await eventually(async () => expect((await outboxIds(gw.db, user)).map((r) => r.status)).toEqual(Array(6).fill('published')));
    const before = (await gw.db.query(`SELECT id, status, attempts, published_at FROM outbox.events ORDER BY id`)).rows;
    const filter = { from_id: rows[1]!.id, to_id: rows[3]!.id, user_ids: [user] };

    const dry = await admin.post('/v1/admin/outbox/replay', { ...filter, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ replay_id: null, matched: 3, dry_run: true });
    expect((await gw.db.query(`SELECT id, status, attempts, published_at FROM outbox.events ORDER BY id`)).rows).toEqual(before);
    expect((await gw.db.query(`SELECT count(*)::int AS n FROM outbox.replays`)).rows[0].n).toBe(0);

    const replay = await admin.post('/v1/admin/outbox/replay', filter);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ replay_id: expect.stringMatching(/^[0-9a-f-]{36}$/), matched: 3, dry_run: false });
    const { rows: audit } = await gw.db.query(`SELECT id, actor, filter, matched, created_at FROM outbox.replays`);
    expect(audit).toEqual([{ id: replay.body.replay_id, actor: ADMIN, filter, matched: 3, created_at: expect.any(Date) }]);

    const replayed = rows.slice(1, 4).map((r) => r.event_id);
    await eventually(async () => expect((await outboxIds(gw.db, user)).map((r) => r.status)).toEqual(Array(6).fill('published')));
    await eventually(() => expect(reader.forEvents(rows.map((r) => r.event_id))).toHaveLength(9));
    const messages = reader.forEvents(rows.map((r) => r.event_id)).sort((a, b) => a.offset - b.offset);
    expect(messages.map((m) => m.eventId)).toEqual([...rows.map((r) => r.event_id), ...replayed]);
    // Same event ids, same payloads, same headers as the first time.
    for (const eventId of replayed) {
      const [first, again] = messages.filter((m) => m.eventId === eventId);
      expect(again!.value).toBe(first!.value);
      expect(again!.headers).toEqual(first!.headers);
    }
  });

  it('a broker outage spends no attempts; a refused record turns dead and holds back only its user; retry and skip release it', async () => {
    const user = aUserId('dead');
    let neighbour = aUserId('neighbour');
    const shardOf = async (key: string) => (await gw.db.query(`SELECT outbox.shard_of($1) AS s`, [key])).rows[0].s;
    // Same shard on purpose: a dead row must not hold back other users of its shard.
    while ((await shardOf(neighbour)) !== (await shardOf(user))) neighbour = aUserId('neighbour');

    // 1. The network to the broker is cut for many times the retry backoff: nothing dies (OUTBOX_MAX_ATTEMPTS=2).
    await kafka.proxy.cut();
    await postMessages(user, 2);
    await eventually(async () => {
      const { rows } = await gw.db.query(`SELECT status, attempts, last_error FROM outbox.events WHERE partition_key = $1`, [user]);
      expect(rows).toEqual([expect.objectContaining({ status: 'pending', attempts: 0, last_error: expect.any(String) }), expect.anything()]);
    });
    await new Promise((r) => setTimeout(r, 1_500)); // several 50–200 ms backoff rounds while the outage lasts
    expect((await outboxIds(gw.db, user)).map((r) => r.status)).toEqual(['pending', 'pending']);
    await kafka.proxy.restore();
    await eventually(async () => expect((await outboxIds(gw.db, user)).map((r) => r.status)).toEqual(['published', 'published']), { timeoutMs: 15_000 });

    // 2. The topic refuses records above 1 KB: the user's next event (a 3 KB one from another producer)
    // dies after two attempts.
    await setTopicMaxBytes(1024);
    await seed(gw.db, [{ user, padding: 3_000 }]);
    await postMessages(user, 2);
    await postMessages(neighbour, 1);
    const rows = (await outboxIds(gw.db, user)).slice(2);
    await eventually(async () => expect((await outboxIds(gw.db, user)).slice(2).map((r) => r.status)).toEqual(['dead', 'pending', 'pending']), {
      timeoutMs: 15_000,
    });
    const dead = await admin.get(`/v1/admin/outbox?status=dead&user_id=${user}`);
    expect(dead.body.list).toEqual([
      expect.objectContaining({ id: rows[0]!.id, status: 'dead', attempts: 2, last_error: expect.stringMatching(/larger than|too large/i) }),
    ]);
    // The neighbour in the same shard went on; the user's own later rows wait and are listed as held.
    const [neighbourRow] = await outboxIds(gw.db, neighbour);
    await reader.waitFor([neighbourRow!.event_id]);
    const held = await admin.get(`/v1/admin/outbox?held=true&user_id=${user}`);
    expect(held.body.list.map((r: { id: number }) => r.id)).toEqual([rows[2]!.id, rows[1]!.id]);
    const stats = await admin.get('/v1/admin/outbox/stats');
    expect(stats.body.held_users).toContainEqual(expect.objectContaining({ user_id: user, blocking_id: rows[0]!.id, blocking_status: 'dead', waiting: 2 }));

    // 3. Retry after the topic is fixed: everything arrives, in order.
    await setTopicMaxBytes(1048576);
    const retried = await admin.post(`/v1/admin/outbox/${rows[0]!.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: rows[0]!.id, status: 'pending', attempts: 0 });
    await reader.waitFor(rows.map((r) => r.event_id));
    await eventually(async () => expect((await outboxIds(gw.db, user)).map((r) => r.status)).toEqual(Array(5).fill('published')));
    expect(kafkaOrderByKey(reader.forEvents(rows.map((r) => r.event_id))).order.get(user)).toEqual(rows.map((r) => r.event_id));

    const again = await admin.post(`/v1/admin/outbox/${rows[0]!.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'OUTBOX_EVENT_NOT_DEAD', details: [{ field: 'id', problem: expect.stringContaining('published') }] });
    expect((await admin.post('/v1/admin/outbox/999999999/retry')).body.error.code).toBe('OUTBOX_EVENT_NOT_FOUND');

    // 4. Skip: a record that will never fit is given up on (audited); the user's later rows go on.
    await setTopicMaxBytes(1024);
    await seed(gw.db, [{ user, padding: 3_000 }]);
    await postMessages(user, 1);
    const [big, after] = (await outboxIds(gw.db, user)).slice(5);
    await eventually(async () => expect((await outboxIds(gw.db, user)).slice(5).map((r) => r.status)).toEqual(['dead', 'pending']), { timeoutMs: 15_000 });
    await setTopicMaxBytes(1048576);
    await expect(admin.post(`/v1/admin/outbox/${big!.id}/skip`, { reason: '' })).resolves.toMatchObject({
      status: 400,
      body: { error: { details: expect.arrayContaining([expect.objectContaining({ field: 'reason' })]) } },
    });
    const skipped = await admin.post(`/v1/admin/outbox/${big!.id}/skip`, { reason: 'content refused by the topic; refunded by support' });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ skip_id: expect.any(String), row: { id: big!.id, status: 'skipped' } });
    await reader.waitFor([after!.event_id]);
    expect(reader.forEvents([big!.event_id])).toEqual([]);
    const { rows: audit } = await gw.db.query(`SELECT outbox_id::int, actor, reason FROM outbox.skips`);
    expect(audit).toEqual([{ outbox_id: big!.id, actor: ADMIN, reason: 'content refused by the topic; refunded by support' }]);
    expect((await admin.post(`/v1/admin/outbox/${big!.id}/skip`, { reason: 'again' })).status).toBe(409);
    // A replay may still publish a skipped row.
    await expect(admin.post('/v1/admin/outbox/replay', { from_id: big!.id, to_id: big!.id, dry_run: true })).resolves.toMatchObject({ body: { matched: 1 } });
  }, 90_000);

  it('/metrics of the relay gateway counts what it published', async () => {
    const text = await (await fetch(`${gw.http.baseUrl}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('outbox_published_total')).toBeGreaterThanOrEqual(6 + 3 + 3 + 1);
    expect(value('outbox_publish_errors_total')).toBeGreaterThanOrEqual(2);
    expect(value('outbox_pending_rows')).toBe(0);
    expect(value('outbox_dead_rows')).toBe(0);
    expect(value('outbox_oldest_pending_age_seconds')).toBe(0);
    expect(value('outbox_relay_shards_held')).toBe(64);
    expect(value('outbox_relay_kafka_up')).toBe(1);
    expect(value('outbox_publish_batch_duration_seconds_count')).toBeGreaterThan(0);
  });
});
