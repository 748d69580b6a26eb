import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createTopics, eventually, OwnKafka, startOwnKafka, TcpFaultProxy, testKafkaBrokers, uniqueTopicName } from '@chat-ledger/testing';
import { kafkaOrderByKey, migratedDatabase, outboxOrderByKey, RelayHost, startRelay, statusCounts, TopicReader, writeEvents } from '../../test/relay-test-kit';
import { readRelayLeases, RELAY_APPLICATION_PREFIX } from '../outbox-locks';

// Real PostgreSQL, real Apache Kafka, real kafkajs clients; no mocks. The suite's shared broker with topics
// of this file's own; the scenarios that slow down or cut the network run on a broker of their own.

const TOPIC = uniqueTopicName('relay');
const FOUR = uniqueTopicName('four-partitions');
const PARTITIONS = 16;

describe('outbox relay', () => {
  let reader: TopicReader;
  let own: OwnKafka;
  const hosts: RelayHost[] = [];
  const dataSources: DataSource[] = [];

  async function relay(url: string, env: Record<string, string> = {}, brokers = testKafkaBrokers()): Promise<RelayHost> {
    const host = await startRelay(url, brokers, { OUTBOX_REBALANCE_INTERVAL: '100ms', KAFKA_TOPIC: TOPIC, ...env });
    hosts.push(host);
    return host;
  }

  async function database() {
    const db = await migratedDatabase();
    dataSources.push(db.dataSource);
    return db;
  }

  const shardOf = async (ds: DataSource, key: string): Promise<number> => (await ds.query(`SELECT outbox.shard_of($1)::int AS shard`, [key]))[0].shard;

  beforeAll(async () => {
    await createTopics([
      { name: TOPIC, partitions: PARTITIONS },
      { name: FOUR, partitions: 4 },
    ]);
    [reader, own] = await Promise.all([TopicReader.start(testKafkaBrokers(), TOPIC), startOwnKafka([{ name: TOPIC, partitions: PARTITIONS }])]);
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
    own.proxy.setLatency(0);
    await own.proxy.restore();
  });

  afterAll(async () => {
    await reader?.stop();
    await Promise.all(dataSources.map((ds) => ds.destroy()));
    await own?.stop();
  });

  it('publishes key, value and headers (traceparent included), woken by NOTIFY within milliseconds, not by polling', async () => {
    const { url, dataSource } = await database();
    await relay(url, { OUTBOX_POLL_INTERVAL: '60s' });
    await eventually(async () => expect((await readRelayLeases(dataSource))[0]?.shards).toHaveLength(64));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    const committedAt = Date.now();
    const [event] = await writeEvents(dataSource, ['latency-user'], 1, { traceparent });
    await reader.waitFor([event!.eventId], 5_000);
    const latencyMs = Date.now() - committedAt;

    const [message] = reader.forEvents([event!.eventId]);
    expect(message).toMatchObject({
      key: 'latency-user',
      headers: { 'event-id': event!.eventId, 'event-type': 'ledger.tokens.adjusted', 'content-type': 'application/json', traceparent },
    });
    // The row is marked published when the relay's claim transaction commits, which can be a moment after the
    // record reached a consumer (the acknowledgement comes first, then the commit).
    const row = await eventually(async () => {
      const [r] = await dataSource.query(`SELECT payload, status, attempts, published_at FROM outbox.events`);
      expect(r).toMatchObject({ status: 'published', attempts: 1, published_at: expect.any(Date) });
      return r;
    });
    expect(JSON.parse(message!.value)).toEqual(row.payload);
    // The poll interval is a minute: only LISTEN/NOTIFY can explain this.
    expect(latencyMs).toBeLessThan(1_000);
    const [{ pickup_ms }] = await dataSource.query(`SELECT EXTRACT(EPOCH FROM published_at - created_at) * 1000 AS pickup_ms FROM outbox.events`);
    process.stdout.write(
      `[relay] single event: claimed ${Math.round(Number(pickup_ms))} ms after the writing transaction began; ` +
        `on the topic for the reader after ${latencyMs} ms (the reader's fetch adds up to 100 ms)\n`,
    );
  });

  it('10,000 events from 50 users written while two relays run: all arrive, and per user Kafka order = outbox id order', async () => {
    const { url, dataSource } = await database();
    const [a, b] = [await relay(url), await relay(url)];
    await eventually(() => {
      expect(a.relay.status().shards).toHaveLength(32);
      expect(b.relay.status().shards).toHaveLength(32);
    });
    const users = Array.from({ length: 50 }, (_, i) => `bulk-${i}-${Date.now().toString(36)}`);

    const started = Date.now();
    const events = await writeEvents(dataSource, users, 200, { perTx: 10, concurrency: 8 });
    const writtenMs = Date.now() - started;
    await reader.waitFor(
      events.map((e) => e.eventId),
      45_000,
    );
    const totalMs = Date.now() - started;

    expect(events).toHaveLength(10_000);
    const { order, duplicates } = kafkaOrderByKey(reader.forEvents(events.map((e) => e.eventId)));
    const expected = await outboxOrderByKey(dataSource);
    expect(order.size).toBe(50);
    for (const user of users) expect({ user, order: order.get(user) }).toEqual({ user, order: expected.get(user) });
    await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 10_000 }));
    // Both relays did real work (prom-client reads a counter asynchronously).
    const published = async (host: RelayHost) => (await host.service.metrics.published.get()).values[0]?.value ?? 0;
    const [byA, byB] = [await published(a), await published(b)];
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(byA + byB).toBe(10_000);
    process.stdout.write(
      `[relay] 10,000 events / 50 users / 2 relays: written in ${writtenMs} ms, all on Kafka after ${totalMs} ms ` +
        `(${Math.round(10_000 / (totalMs / 1000))} events/s end to end), duplicates ${duplicates}, ` +
        `split ${byA}/${byB}\n`,
    );
  }, 60_000);

  it('drains a backlog of 10,000 rows with two relays (throughput), in per-user order', async () => {
    const { url, dataSource } = await database();
    await dataSource.query(`
      INSERT INTO outbox.events (event_id, event_type, partition_key, payload, headers)
      SELECT id, 'ledger.tokens.adjusted', 'drain-' || (n % 100),
             jsonb_build_object('id', id, 'type', 'ledger.tokens.adjusted', 'version', 1, 'source', 'drain',
                                'occurred_at', '2026-01-01T00:00:00.000000Z', 'data', jsonb_build_object('user_id', 'drain-' || (n % 100), 'seq', n)),
             jsonb_build_object('event-id', id, 'event-type', 'ledger.tokens.adjusted', 'content-type', 'application/json')
        FROM (SELECT n, gen_random_uuid() AS id FROM generate_series(1, 10000) AS n) AS s ORDER BY n`);
    const eventIds: string[] = (await dataSource.query(`SELECT event_id FROM outbox.events`)).map((r: { event_id: string }) => r.event_id);

    const started = Date.now();
    await Promise.all([relay(url), relay(url)]);
    await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 10_000 }), { timeoutMs: 30_000, intervalMs: 20 });
    const drainMs = Date.now() - started;
    const [{ span }] = await dataSource.query(`SELECT EXTRACT(EPOCH FROM max(published_at) - min(published_at))::float8 AS span FROM outbox.events`);
    await reader.waitFor(eventIds, 30_000);

    const { order } = kafkaOrderByKey(reader.forEvents(eventIds));
    const expected = await outboxOrderByKey(dataSource);
    expect(order.size).toBe(100);
    for (const [user, ids] of expected) expect({ user, order: order.get(user) }).toEqual({ user, order: ids });
    process.stdout.write(
      `[relay] backlog of 10,000 rows drained by 2 relays: ${drainMs} ms including relay start, ` +
        `publishing span ${Math.round(span * 1000)} ms (${Math.round(10_000 / span)} rows/s)\n`,
    );
  }, 45_000);

  it('database connections dropped: the relay reconnects, takes its leases again and goes on publishing', async () => {
    const { url, dataSource } = await database();
    const host = await relay(url);
    await eventually(() => expect(host.relay.status().shards).toHaveLength(64));

    const killed = await dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'outbox-relay%'`,
    );
    expect(killed.length).toBeGreaterThanOrEqual(2); // worker and LISTEN connections (and pooled ones)

    const events = await writeEvents(dataSource, ['reconnect-a', 'reconnect-b'], 5);
    await reader.waitFor(
      events.map((e) => e.eventId),
      10_000,
    );
    await eventually(async () => expect((await readRelayLeases(dataSource)).map((l) => l.shards.length)).toEqual([64]));
    await eventually(() => expect(host.relay.status().listening).toBe(true));
    expect(host.logLines.some((l) => l.includes('reconnecting'))).toBe(true);
  });

  it('shard leases: a second relay takes half, a stopped relay hands its shards over, and every shard has one owner', async () => {
    const { url, dataSource } = await database();
    const a = await relay(url);
    await eventually(() => expect(a.relay.status().shards).toHaveLength(64));

    const b = await relay(url);
    await eventually(async () => {
      const leases = await readRelayLeases(dataSource);
      expect(leases.map((l) => l.shards.length)).toEqual([32, 32]);
      expect(new Set(leases.flatMap((l) => l.shards)).size).toBe(64);
    });
    expect((await readRelayLeases(dataSource)).map((l) => l.instance_id).sort()).toEqual([a.relay.instanceId, b.relay.instanceId].sort());

    await a.close(); // graceful: releases its leases at once
    await eventually(async () => {
      const leases = await readRelayLeases(dataSource);
      expect(leases).toEqual([expect.objectContaining({ instance_id: b.relay.instanceId, shards: Array.from({ length: 64 }, (_, i) => i) })]);
    });
    // The survivor publishes for every user.
    const events = await writeEvents(
      dataSource,
      Array.from({ length: 20 }, (_, i) => `handover-${i}`),
      3,
    );
    await reader.waitFor(events.map((e) => e.eventId));
  });

  it('a row waiting for its retry holds back later rows of its user, while other users of its shard go on', async () => {
    // A topic that refuses records above 2 KB: the first row is too large until the topic is changed,
    // an error about the record itself (kafkajs gives up at once, the relay's backoff takes over).
    const small = uniqueTopicName('small-records');
    await createTopics([{ name: small, partitions: PARTITIONS, config: { 'max.message.bytes': '2048' } }]);
    const smallReader = await TopicReader.start(testKafkaBrokers(), small);
    try {
      const { url, dataSource } = await database();
      const host = await relay(url, { OUTBOX_RETRY_BASE: '3s', KAFKA_TOPIC: small });
      await eventually(() => expect(host.relay.status().shards).toHaveLength(64));
      const user = 'held-back-user';
      // Same shard on purpose: holding back is per user, not per shard.
      let other = 'same-shard-user-0';
      for (let i = 1; (await shardOf(dataSource, other)) !== (await shardOf(dataSource, user)); i++) other = `same-shard-user-${i}`;

      const [first] = await writeEvents(dataSource, [user], 1, { padding: 4_000 });
      await eventually(async () => {
        const [row] = await dataSource.query(`SELECT attempts, status, last_error FROM outbox.events WHERE event_id = $1`, [first!.eventId]);
        expect(row).toMatchObject({ attempts: 1, status: 'pending', last_error: expect.stringMatching(/larger than|too large/i) });
      });

      const [second] = await writeEvents(dataSource, [user], 1);
      const [unrelated] = await writeEvents(dataSource, [other], 1);
      await smallReader.waitFor([unrelated!.eventId], 5_000);
      // The first row's retry is 1.5 to 3 s away; the user's next event must not overtake it.
      expect(smallReader.forEvents([first!.eventId, second!.eventId])).toEqual([]);
      const [secondRow] = await dataSource.query(`SELECT status, attempts FROM outbox.events WHERE event_id = $1`, [second!.eventId]);
      expect(secondRow).toEqual({ status: 'pending', attempts: 0 });

      const admin = new Kafka({ brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: small, configEntries: [{ name: 'max.message.bytes', value: '1048576' }] }],
      });
      await admin.disconnect();
      await smallReader.waitFor([first!.eventId, second!.eventId], 15_000);
      const { order } = kafkaOrderByKey(smallReader.forEvents([first!.eventId, second!.eventId]));
      expect(order.get(user)).toEqual([first!.eventId, second!.eventId]);
    } finally {
      await smallReader.stop();
    }
  });

  it('graceful stop finishes the batch in hand, then releases the leases', async () => {
    const { url, dataSource } = await database();
    const host = await relay(url, { LOG_LEVEL: 'debug' }, own.faultyBrokers);
    await eventually(() => expect(host.relay.status().shards).toHaveLength(64));
    own.proxy.setLatency(400);
    const events = await writeEvents(dataSource, ['stop-a', 'stop-b'], 5, { concurrency: 1, perTx: 10 }); // one commit, one batch
    await eventually(() => expect(host.logLines.some((l) => l.includes('"sending batch"'))).toBe(true));

    await host.close(); // while the send waits for the broker

    expect(await statusCounts(dataSource)).toEqual({ published: 10 });
    await expect(readRelayLeases(dataSource)).resolves.toEqual([]);
    own.proxy.setLatency(0);
    const ownReader = await TopicReader.start(own.brokers, TOPIC);
    try {
      await ownReader.waitFor(events.map((e) => e.eventId));
    } finally {
      await ownReader.stop();
    }
  });

  it('a batch is marked published while its send waits for the broker, but nobody sees it published before Kafka acknowledged', async () => {
    const { url, dataSource } = await database();
    const host = await relay(url, {}, own.faultyBrokers);
    await eventually(() => expect(host.relay.status().shards).toHaveLength(64));
    own.proxy.setLatency(1_500);
    const events = await writeEvents(dataSource, ['mark-a', 'mark-b'], 5, { concurrency: 1, perTx: 10 }); // one commit, one batch

    // The relay's worker session has run its marking statement and waits, inside the claim's transaction, for the ack.
    await eventually(async () => {
      const sessions = await dataSource.query(
        `SELECT 1 FROM pg_stat_activity
          WHERE application_name LIKE $1 AND application_name NOT LIKE '%:listen'
            AND state = 'idle in transaction' AND query LIKE '%SET status = ''published''%'`,
        [`${RELAY_APPLICATION_PREFIX}%`],
      );
      expect(sessions).toHaveLength(1);
    });
    await expect(statusCounts(dataSource)).resolves.toEqual({ pending: 10 });

    own.proxy.setLatency(0);
    await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 10 }));
    const ownReader = await TopicReader.start(own.brokers, TOPIC);
    try {
      await ownReader.waitFor(events.map((e) => e.eventId));
    } finally {
      await ownReader.stop();
    }
  });

  it('a broker outage of any length spends no attempts: with OUTBOX_MAX_ATTEMPTS=2 nothing dies, and all arrive in order once it is back', async () => {
    let ownReader: TopicReader | undefined;
    try {
      const { url, dataSource } = await database();
      // Hours compressed into seconds: ~40 backoff rounds of at most 200 ms while the broker is away.
      const host = await relay(
        url,
        { OUTBOX_RETRY_BASE: '50ms', OUTBOX_RETRY_MAX: '200ms', OUTBOX_SEND_TIMEOUT: '1s', OUTBOX_MAX_ATTEMPTS: '2' },
        own.faultyBrokers,
      );
      await eventually(() => expect(host.relay.status().shards).toHaveLength(64));

      await own.proxy.cut();
      const users = Array.from({ length: 10 }, (_, i) => `outage-${i}`);
      const events = await writeEvents(dataSource, users, 20);
      // Failed sends (the error kept for operators), nothing published, no attempt spent.
      await eventually(async () => expect((await host.service.metrics.publishErrors.get()).values[0]?.value ?? 0).toBeGreaterThanOrEqual(10), {
        timeoutMs: 30_000,
      });
      const [row] = await dataSource.query(
        `SELECT max(attempts)::int AS attempts, count(*) FILTER (WHERE status <> 'pending')::int AS not_pending,
                bool_or(last_error IS NOT NULL) AS has_error FROM outbox.events`,
      );
      expect(row).toEqual({ attempts: 0, not_pending: 0, has_error: true });
      expect(host.service.kafkaHealth()).toMatchObject({ status: 'down' });

      await own.proxy.restore();
      ownReader = await TopicReader.start(own.brokers, TOPIC);
      await ownReader.waitFor(
        events.map((e) => e.eventId),
        30_000,
      );
      await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 200 }));
      const { order, duplicates } = kafkaOrderByKey(ownReader.forEvents(events.map((e) => e.eventId)));
      const expected = await outboxOrderByKey(dataSource);
      for (const user of users) expect(order.get(user)).toEqual(expected.get(user));
      await eventually(() => expect(host.service.kafkaHealth()).toEqual({ status: 'up' }));
      process.stdout.write(`[relay] broker outage: all 200 events arrived after recovery, duplicates ${duplicates}\n`);
    } finally {
      await ownReader?.stop();
    }
  }, 60_000);

  it('a send that fails in the middle of a backlog: the batch claimed behind it is never sent first, and per-user order holds', async () => {
    let ownReader: TopicReader | undefined;
    try {
      const { url, dataSource } = await database();
      const users = Array.from({ length: 10 }, (_, i) => `backlog-${i}`);
      // A backlog first, so every batch is full and the relay claims the next one while each send travels.
      const events = await writeEvents(dataSource, users, 40);
      // Each request waits 300 ms in the link, so a cut right after the claim ahead drops the batch's records unsent.
      own.proxy.setLatency(300);
      const host = await relay(url, { OUTBOX_BATCH_SIZE: '20', OUTBOX_RETRY_BASE: '1s', OUTBOX_RETRY_MAX: '1s', OUTBOX_SEND_TIMEOUT: '5s' }, own.faultyBrokers);
      await eventually(async () => expect((await statusCounts(dataSource)).published ?? 0).toBeGreaterThanOrEqual(40), { timeoutMs: 20_000 });
      // The worker has marked the batch in flight and claimed the next one, and waits for Kafka's ack: cut now.
      await eventually(
        async () => {
          const sessions = await dataSource.query(
            `SELECT 1 FROM pg_stat_activity
              WHERE application_name LIKE $1 AND application_name NOT LIKE '%:listen'
                AND state = 'idle in transaction' AND query LIKE '%FOR KEY SHARE OF o SKIP LOCKED%'`,
            [`${RELAY_APPLICATION_PREFIX}%`],
          );
          expect(sessions).toHaveLength(1);
        },
        { timeoutMs: 20_000, intervalMs: 5 },
      );
      await own.proxy.cut();
      await eventually(async () => expect((await host.service.metrics.publishErrors.get()).values[0]?.value ?? 0).toBe(1));
      // Back before the relay's retry (1 s later): that one send goes through, and it must carry the failed batch.
      own.proxy.setLatency(0);
      await own.proxy.restore();
      await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 400 }), { timeoutMs: 30_000 });
      expect((await host.service.metrics.publishErrors.get()).values[0]?.value).toBe(1);

      ownReader = await TopicReader.start(own.brokers, TOPIC);
      await ownReader.waitFor(
        events.map((e) => e.eventId),
        30_000,
      );
      const { order } = kafkaOrderByKey(ownReader.forEvents(events.map((e) => e.eventId)));
      const expected = await outboxOrderByKey(dataSource);
      for (const user of users) expect({ user, order: order.get(user) }).toEqual({ user, order: expected.get(user) });
    } finally {
      await ownReader?.stop();
    }
  }, 90_000);

  it('a relay whose database link freezes without closing loses its leases within OUTBOX_LEASE_TIMEOUT; per-user order holds when it wakes', async () => {
    const { url, dataSource } = await database();
    // Relay A reaches PostgreSQL through a proxy that will stop every byte without closing anything, as for a
    // host that lost power; relay B goes direct.
    const direct = new URL(url);
    const pgProxy = await TcpFaultProxy.listen({ target: `${direct.hostname}:${direct.port}` });
    const viaProxy = new URL(url);
    viaProxy.port = String(pgProxy.port);
    try {
      const env = { OUTBOX_LEASE_TIMEOUT: '4s', OUTBOX_SEND_TIMEOUT: '2s', OUTBOX_REBALANCE_INTERVAL: '200ms', OUTBOX_POLL_INTERVAL: '200ms' };
      const a = await relay(viaProxy.toString(), env);
      const b = await relay(url, env);
      await eventually(async () => expect((await readRelayLeases(dataSource)).map((l) => l.shards.length).sort()).toEqual([32, 32]));
      const users = Array.from({ length: 30 }, (_, i) => `frozen-${i}`);
      const before = await writeEvents(dataSource, users, 5);
      await reader.waitFor(before.map((e) => e.eventId));

      pgProxy.freeze();
      const frozenAt = Date.now();
      const during = await writeEvents(dataSource, users, 10);
      // PostgreSQL ends A's silent session (idle_session_timeout and friends); B takes every shard.
      await eventually(
        async () => {
          const leases = await readRelayLeases(dataSource);
          expect(leases).toEqual([expect.objectContaining({ instance_id: b.relay.instanceId, shards: Array.from({ length: 64 }, (_, i) => i) })]);
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      const takenOverMs = Date.now() - frozenAt;
      await reader.waitFor(
        during.map((e) => e.eventId),
        20_000,
      );

      await pgProxy.restore();
      const after = await writeEvents(dataSource, users, 5);
      await eventually(async () => expect((await readRelayLeases(dataSource)).map((l) => l.shards.length).sort()).toEqual([32, 32]), { timeoutMs: 30_000 });
      await reader.waitFor(
        after.map((e) => e.eventId),
        20_000,
      );
      const all = [...before, ...during, ...after];
      const { order } = kafkaOrderByKey(reader.forEvents(all.map((e) => e.eventId)));
      const expected = await outboxOrderByKey(dataSource);
      for (const user of users) expect({ user, order: order.get(user) }).toEqual({ user, order: expected.get(user) });
      expect(a.relay.status().running).toBe(true);
      // The bound: lease timeout (4 s) plus B's next rebalance; well under the 30 s default.
      expect(takenOverMs).toBeLessThan(15_000);
      process.stdout.write(`[relay] frozen database link: the other relay held every shard ${takenOverMs} ms after the freeze\n`);
    } finally {
      await pgProxy.close();
    }
  }, 90_000);

  it('retention deletes published rows older than the window in small batches, nothing else', async () => {
    const { url, dataSource } = await database();
    const host = await relay(url, { OUTBOX_RETENTION: '1d' });
    const events = await writeEvents(dataSource, ['retention-user'], 7);
    await eventually(async () => expect(await statusCounts(dataSource)).toEqual({ published: 7 }));
    const old = events.slice(0, 5).map((e) => e.eventId);
    await dataSource.query(`UPDATE outbox.events SET published_at = now() - interval '25 hours' WHERE event_id = ANY($1)`, [old]);
    // An old row that is not published is never deleted.
    await dataSource.query(`UPDATE outbox.events SET status = 'dead', published_at = NULL, created_at = now() - interval '30 days' WHERE event_id = $1`, [
      events[6]!.eventId,
    ]);

    await expect(host.relay.runRetentionOnce()).resolves.toBe(5);

    const left: Array<{ event_id: string }> = await dataSource.query(`SELECT event_id FROM outbox.events ORDER BY id`);
    expect(left.map((r) => r.event_id)).toEqual([events[5]!.eventId, events[6]!.eventId]);
  });

  it('refuses to start when the topic is missing or has other partitions than expected', async () => {
    const { url } = await database();
    const missing = uniqueTopicName('no-such-topic');
    await expect(startRelay(url, testKafkaBrokers(), { KAFKA_TOPIC: missing })).rejects.toThrow(
      `outbox relay cannot start: topic ${missing} does not exist on ${testKafkaBrokers()}: create it with 16 partitions`,
    );
    await expect(startRelay(url, testKafkaBrokers(), { KAFKA_TOPIC: FOUR })).rejects.toThrow(
      `topic ${FOUR} on ${testKafkaBrokers()} has 4 partitions, expected 16`,
    );
  });
});
