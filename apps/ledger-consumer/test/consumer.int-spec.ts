import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { redriveDeadLetters } from '../src/dead-letters/redrive-dead-letters';
import { aUserId, createTestDatabase, createTopics, eventually, startOwnKafka, testKafkaBrokers, uniqueTopicName } from '@chat-ledger/testing';
import { aMessageEvent, anAdjustmentEvent, encode, recordsOf, TestProducer, TokenEvent } from './events';
import { actualTotals, expectedTotals } from './expected-totals';
import { LedgerTestApp, startLedger } from './ledger-test-app';

// Real PostgreSQL, real Apache Kafka, real kafkajs clients: nothing mocked. Each scenario has topics of
// its own on the suite's shared broker; the ones that break the broker or the network get a broker of their own.

describe('ledger-consumer on Kafka', () => {
  let producer: TestProducer;
  const apps: LedgerTestApp[] = [];
  const brokers = () => testKafkaBrokers();
  const T = {
    mixed: uniqueTopicName('mixed'),
    redelivery: uniqueTopicName('redelivery'),
    poison: uniqueTopicName('poison'),
    poisonDlq: uniqueTopicName('poison-dlq'),
    outage: uniqueTopicName('outage'),
    backlog: uniqueTopicName('backlog'),
    group: uniqueTopicName('live-group'),
    refused: uniqueTopicName('refused'),
    refusedDlq: uniqueTopicName('refused-dlq'),
    integrity: uniqueTopicName('integrity'),
  };

  beforeAll(async () => {
    await createTopics([
      { name: T.mixed, partitions: 4 },
      { name: T.redelivery, partitions: 2 },
      { name: T.poison, partitions: 1 },
      { name: T.poisonDlq, partitions: 1 },
      { name: T.outage, partitions: 2 },
      { name: T.backlog, partitions: 1 },
      { name: T.group, partitions: 6 },
      { name: T.refused, partitions: 1 },
      // Refuses records above 1 KB: dead letters of ordinary size do not fit.
      { name: T.refusedDlq, partitions: 1, config: { 'max.message.bytes': '1024' } },
      // Takes record timestamps of any year (Kafka refuses those more than an hour ahead by default).
      { name: T.integrity, partitions: 1, config: { 'message.timestamp.after.max.ms': '9223372036854775807' } },
    ]);
    producer = await TestProducer.connect(brokers());
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await producer?.disconnect();
  });

  /** One app per scenario: its own database, topic and consumer group. */
  async function start(
    topic: string,
    partitions: number,
    env: Record<string, string> = {},
    databaseUrl?: string,
    kafkaBrokers = brokers(),
  ): Promise<LedgerTestApp> {
    const app = await startLedger({
      brokers: kafkaBrokers,
      databaseUrl,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: String(partitions), KAFKA_GROUP_ID: `ledger-${topic}-${randomUUID().slice(0, 8)}`, ...env },
    });
    apps.push(app);
    return app;
  }

  async function stop(app: LedgerTestApp): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  const count = async (app: LedgerTestApp, sql: string, params: unknown[] = []) => Number((await app.db.query(sql, params)).rows[0].n);

  async function committedOffsets(groupId: string, topic: string, kafkaBrokers = brokers()): Promise<number[]> {
    const admin = new Kafka({ brokers: [kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    } finally {
      await admin.disconnect();
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + Math.max(b, 0), 0);

  /** Several users, conversations, models and hours; adjustments on a message, on a conversation, on neither. */
  function mixedEvents(users: string[]): TokenEvent[] {
    const events: TokenEvent[] = [];
    users.forEach((user, u) => {
      for (let c = 0; c < 2; c++) {
        const conversationId = randomUUID();
        const messageIds: string[] = [];
        for (let m = 0; m < 4; m++) {
          const messageId = randomUUID();
          messageIds.push(messageId);
          events.push(
            aMessageEvent({
              userId: user,
              conversationId,
              messageId,
              role: m % 2 === 0 ? 'user' : 'assistant',
              model: m % 2 === 0 ? null : ['gpt-4o', 'gpt-4o-mini'][c]!,
              at: `2026-11-23T${String(8 + m + u).padStart(2, '0')}:${String(10 * c + m).padStart(2, '0')}:00.${String(m).padStart(6, '0')}Z`,
              usage:
                m % 2 === 0
                  ? { prompt_tokens: 0, completion_tokens: 0 }
                  : { prompt_tokens: 100 * (u + 1) + m, completion_tokens: 7 * m, cached_tokens: m, reasoning_tokens: c },
            }),
          );
        }
        events.push(
          anAdjustmentEvent({ userId: user, conversationId, messageId: messageIds[1], delta: -(u + 3), reason: 'refund', at: '2026-11-23T12:30:00Z' }),
        );
        events.push(anAdjustmentEvent({ userId: user, conversationId, delta: 11 + c, reason: 'title_generation', at: '2026-11-23T08:59:59.999999Z' }));
      }
      events.push(anAdjustmentEvent({ userId: user, delta: 1000 - u, reason: 'correction', at: '2026-11-22T23:00:00+01:00' }));
    });
    return events;
  }

  it('applies a mixed batch of several users exactly; republished events change nothing and are counted as duplicates', async () => {
    const users = [aUserId('mix'), aUserId('mix'), aUserId('mix')];
    const events = mixedEvents(users);
    const app = await start(T.mixed, 4);

    await producer.send(T.mixed, events);
    await eventually(async () => expect(await count(app, `SELECT count(*) AS n FROM ledger.entries`)).toBe(events.length));

    const expected = expectedTotals(events);
    await expect(actualTotals(app.db, users)).resolves.toEqual(expected);
    expect(expected.hourly.length).toBeGreaterThan(20);
    const messages = events.filter((e) => e.type === 'chat.message.recorded').length;
    await expect(app.metric('ledger_events_applied_total', { type: 'chat.message.recorded' })).resolves.toBe(messages);
    await expect(app.metric('ledger_events_applied_total', { type: 'ledger.tokens.adjusted' })).resolves.toBe(events.length - messages);
    // Tokens by model, spent and credited apart (adjustments name no model here: `none`).
    const tokensBy = (model: string | null, sign: 1 | -1) =>
      events
        .filter((e) => ('model' in e.data ? (e.data.model ?? null) : null) === model)
        .reduce((total, e) => total + Math.max(0, sign * e.data.tokens_delta), 0);
    for (const model of ['gpt-4o', 'gpt-4o-mini'])
      await expect(app.metric('ledger_tokens_total', { direction: 'spent', model })).resolves.toBe(tokensBy(model, 1));
    await expect(app.metric('ledger_tokens_total', { direction: 'spent', model: 'none' })).resolves.toBe(tokensBy(null, 1));
    await expect(app.metric('ledger_tokens_total', { direction: 'credited', model: 'none' })).resolves.toBe(tokensBy(null, -1));
    expect(tokensBy(null, -1)).toBeGreaterThan(0);

    await producer.send(T.mixed, events);
    await eventually(() => expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBe(events.length));
    await expect(actualTotals(app.db, users)).resolves.toEqual(expected);
    await expect(count(app, `SELECT count(*) AS n FROM ledger.entries`)).resolves.toBe(events.length);

    // Offsets are committed after each batch; nothing is left behind.
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, T.mixed))).toBe(2 * events.length));
    const metrics: string = (await app.http.get('/metrics')).body;
    expect(metrics).toMatch(new RegExp(`ledger_consumer_lag\\{partition="\\d",topic="${T.mixed}"\\} 0`));
    expect(metrics).toMatch(/ledger_batch_duration_seconds_count [1-9]/);
    await expect(app.http.get('/health/ready')).resolves.toMatchObject({
      status: 200,
      body: { checks: { database: { status: 'up' }, kafka: { status: 'up', consumer: 'joined' } } },
    });
    await stop(app);
  });

  it('a crash after the database commit but before the offset commit: the redelivered batch changes nothing', async () => {
    const users = [aUserId('redo'), aUserId('redo')];
    const events = mixedEvents(users).slice(0, 12);
    const databaseUrl = await createTestDatabase('ledger_redo');
    // Applied by an instance that "died" before committing offsets: same records, same coordinates.
    const [sent] = await producer.sendRaw(
      T.redelivery,
      events.map((e) => ({ key: e.data.user_id, value: encode(e), partition: 0 })),
    );
    const first = await startLedger({ databaseUrl });
    await first.apply.execute(recordsOf(events, { topic: T.redelivery, partition: 0, firstOffset: Number(sent!.baseOffset) }));
    const before = await actualTotals(first.db, users);
    expect(before).toEqual(expectedTotals(events));
    await first.close();

    const app = await start(T.redelivery, 2, {}, databaseUrl);
    await eventually(() => expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBe(events.length));
    await expect(app.metric('ledger_events_applied_total', { type: 'chat.message.recorded' })).resolves.toBe(0);
    await expect(actualTotals(app.db, users)).resolves.toEqual(before);
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, T.redelivery))).toBe(events.length));
    await stop(app);
  });

  it('the offset commit fails after the database commit (network cut mid-batch): the batch is redelivered and changes nothing', async () => {
    // A broker of its own, reached through a fault proxy: the cut must not hit the other scenarios.
    const own = await startOwnKafka([{ name: 'commit-fail', partitions: 2 }]);
    try {
      const users = [aUserId('cf')];
      const app = await start('commit-fail', 2, {}, undefined, own.faultyBrokers);
      const first = mixedEvents(users).slice(0, 5);
      const ownProducer = await TestProducer.connect(own.brokers);
      try {
        await ownProducer.send('commit-fail', first);
        await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'commit-fail', own.brokers))).toBe(first.length));

        // The next batch's transaction waits 1.5 s inside its insert: while it waits, the network to Kafka
        // goes down, so its database commit succeeds and its offset commit cannot.
        await app.db.query(`
          CREATE FUNCTION ledger.test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
          CREATE TRIGGER test_slow AFTER INSERT ON ledger.entries FOR EACH STATEMENT EXECUTE FUNCTION ledger.test_slow();`);
        const second = mixedEvents(users).slice(0, 7);
        await ownProducer.send('commit-fail', second);
        await eventually(async () => {
          const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`);
          expect(rows[0].n).toBe(1);
        });
        await own.proxy.cut();
        await eventually(async () => expect(await count(app, `SELECT count(*) AS n FROM ledger.entries`)).toBe(first.length + second.length));
        await app.db.query(`DROP TRIGGER test_slow ON ledger.entries; DROP FUNCTION ledger.test_slow();`);
        expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'commit-fail', own.brokers))).toBe(first.length);
        await own.proxy.restore();

        await eventually(
          async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'commit-fail', own.brokers))).toBe(first.length + second.length),
          {
            timeoutMs: 40_000,
          },
        );
        await expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBeGreaterThanOrEqual(second.length);
        await expect(actualTotals(app.db, users)).resolves.toEqual(expectedTotals([...first, ...second]));
        expect(app.fatal).toEqual([]);
      } finally {
        await ownProducer.disconnect();
      }
      await stop(app);
    } finally {
      await own.stop();
    }
  }, 90_000);

  it('poison messages go to ledger.dead_letters (raw bytes, reason) and the DLQ topic; the good ones around them are applied', async () => {
    const user = aUserId('poison');
    const good = [
      aMessageEvent({ userId: user, at: '2026-11-23T10:00:00Z' }),
      anAdjustmentEvent({ userId: user, delta: -5, at: '2026-11-23T10:05:00Z' }),
      aMessageEvent({ userId: user, at: '2026-11-23T10:10:00Z', usage: { prompt_tokens: 1, completion_tokens: 2 } }),
    ];
    const json = (e: unknown) => Buffer.from(JSON.stringify(e));
    const withData = (e: TokenEvent, data: Record<string, unknown>) => json({ ...e, data: { ...e.data, ...data } });
    const m = () => aMessageEvent({ userId: user });
    const a = () => anAdjustmentEvent({ userId: user });
    const randomBytes = Buffer.from([0xff, 0x00, 0xfe, 0x81, 0x9c, 0x00]);
    const poison: Array<{ value: Buffer | null; reason: string }> = [
      { value: randomBytes, reason: 'not_utf8' },
      { value: json(m()).subarray(0, 60), reason: 'not_json' },
      { value: json({ ...m(), version: 7 }), reason: 'unknown_version' },
      { value: json({ ...m(), type: 'chat.message.deleted' }), reason: 'unknown_type' },
      { value: withData(a(), { tokens_delta: 1e12 }), reason: 'invalid_data' },
      { value: withData(a(), { tokens_delta: '12' }), reason: 'invalid_data' },
      { value: Buffer.from(JSON.stringify(a()).replace('"tokens_delta":42', '"tokens_delta":NaN')), reason: 'not_json' },
      {
        value: withData(m(), { usage: { prompt_tokens: -10, completion_tokens: 10, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 0 }, tokens_delta: 0 }),
        reason: 'invalid_data',
      },
      { value: withData(a(), { user_id: undefined }), reason: 'invalid_data' },
      { value: withData(a(), { surprise: true }), reason: 'invalid_data' },
      { value: json({ ...m(), occurred_at: '2026-02-30T10:00:00Z' }), reason: 'invalid_envelope' },
      { value: null, reason: 'empty_value' },
    ];
    const app = await start(T.poison, 1, { KAFKA_DLQ_TOPIC: T.poisonDlq });

    const messages = [
      { key: user, value: json(good[0]) },
      ...poison.slice(0, 6).map((p, i) => ({
        key: i === 0 ? Buffer.from([0xc3, 0x28]) : user,
        value: p.value,
        headers: { 'x-binary': Buffer.from([0, 1, 2]), 'x-text': 'hello' },
      })),
      { key: user, value: json(good[1]) },
      ...poison.slice(6).map((p) => ({ key: user, value: p.value })),
      { key: user, value: json(good[2]) },
    ];
    await producer.sendRaw(T.poison, messages);

    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, T.poison))).toBe(messages.length));
    await expect(actualTotals(app.db, [user])).resolves.toEqual(expectedTotals(good));

    const { rows } = await app.db.query(`SELECT "offset"::int, key, value, headers, reason, error FROM ledger.dead_letters ORDER BY "offset"`);
    expect(rows.map((r) => r.reason)).toEqual(poison.map((p) => p.reason));
    rows.forEach((row, i) => {
      expect(row.value === null ? null : Buffer.compare(row.value, poison[i]!.value!)).toBe(poison[i]!.value === null ? null : 0);
      expect(row.error.length).toBeGreaterThan(5);
    });
    expect(rows.map((r) => r.offset)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]);
    expect(Buffer.compare(rows[0].key, Buffer.from([0xc3, 0x28]))).toBe(0);
    expect(rows[0].headers).toEqual([
      { key: 'x-binary', value: { base64: 'AAEC' } },
      { key: 'x-text', value: 'hello' },
    ]);
    expect(rows.find((r) => r.reason === 'unknown_version').error).toBe('unknown version 7 of chat.message.recorded (known: 1, 2, 3)');
    expect(rows[4].error).toContain('data.tokens_delta');
    expect(rows[9].error).toContain('data.surprise: is not an allowed field');
    await expect(app.metric('ledger_dead_letters_total', { reason: 'invalid_data' })).resolves.toBe(5);
    await expect(app.metric('ledger_dead_letters_total', { reason: 'not_json' })).resolves.toBe(2);

    // The DLQ topic carries the raw record plus why and where from.
    const dlq: Array<{ value: Buffer | null; headers: Record<string, string> }> = [];
    const reader = new Kafka({ brokers: [brokers()], logLevel: logLevel.NOTHING }).consumer({
      groupId: `dlq-reader-${randomUUID()}`,
      maxWaitTimeInMs: 100,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    });
    await reader.connect();
    try {
      await reader.subscribe({ topic: T.poisonDlq, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) =>
          void dlq.push({ value: message.value, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
      });
      await eventually(() => expect(dlq).toHaveLength(poison.length));
    } finally {
      await reader.disconnect();
    }
    expect(dlq.map((d) => d.headers['dlq-reason'])).toEqual(poison.map((p) => p.reason));
    expect(dlq[0]).toMatchObject({ headers: { 'dlq-source-topic': T.poison, 'dlq-source-partition': '0', 'dlq-source-offset': '1', 'x-text': 'hello' } });
    const { rows: unpublished } = await app.db.query(`SELECT count(*)::int AS n FROM ledger.dead_letters WHERE dlq_published_at IS NULL`);
    expect(unpublished[0].n).toBe(0);
    expect(Buffer.compare(dlq[0]!.value!, randomBytes)).toBe(0);

    // Redelivery of the same records (a new group reading from the start) stores no second dead letter.
    await stop(app);
  });

  it('database down: the batch is retried with backoff, offsets stay put, nothing is skipped; a stop during the outage does not hang', async () => {
    const users = [aUserId('down'), aUserId('down')];
    const events = mixedEvents(users).slice(0, 14);
    const databaseUrl = await createTestDatabase('ledger_down');
    const env = { KAFKA_GROUP_ID: `ledger-outage-${randomUUID().slice(0, 8)}` };
    const app = await start(T.outage, 2, env, databaseUrl);
    await app.db.query(`
      CREATE FUNCTION ledger.test_unavailable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the database system is starting up' USING ERRCODE = '57P03'; END $$;
      CREATE TRIGGER test_unavailable BEFORE INSERT ON ledger.entries FOR EACH STATEMENT EXECUTE FUNCTION ledger.test_unavailable();`);

    await producer.send(T.outage, events);
    await eventually(() => expect(app.metric('ledger_batch_retries_total', { step: 'apply' })).resolves.toBeGreaterThanOrEqual(3));
    await expect(count(app, `SELECT count(*) AS n FROM ledger.entries`)).resolves.toBe(0);
    expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.outage))).toBe(0);

    // SIGTERM while the batch waits for the database: the stop abandons the batch instead of hanging.
    const stopping = Date.now();
    await stop(app);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.outage))).toBe(0);

    // The database is back; a new instance of the same group gets everything, exactly once.
    const recovered = await start(T.outage, 2, env, databaseUrl);
    await recovered.db.query(`DROP TRIGGER test_unavailable ON ledger.entries; DROP FUNCTION ledger.test_unavailable();`);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.outage))).toBe(events.length), { timeoutMs: 20_000 });
    await expect(actualTotals(recovered.db, users)).resolves.toEqual(expectedTotals(events));

    // A record the database refuses although it passed validation is isolated and dead-lettered.
    await recovered.db.query(`ALTER TABLE ledger.entries ADD CONSTRAINT test_no_777 CHECK (tokens_delta <> 777)`);
    const more = [
      aMessageEvent({ userId: users[0]! }),
      anAdjustmentEvent({ userId: users[0]!, delta: 777 }),
      anAdjustmentEvent({ userId: users[0]!, delta: 3 }),
    ];
    await producer.send(T.outage, more);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.outage))).toBe(events.length + 3));
    const { rows } = await recovered.db.query(`SELECT reason, event_id::text, error FROM ledger.dead_letters`);
    expect(rows).toEqual([{ reason: 'rejected_by_database', event_id: more[1]!.id, error: expect.stringContaining('23514') }]);
    await expect(actualTotals(recovered.db, users)).resolves.toEqual(expectedTotals([...events, more[0]!, more[2]!]));
    await stop(recovered);
  }, 40_000);

  it('refuses to start when the topic is missing or has another partition count, naming the fix', async () => {
    const missing = uniqueTopicName('no-such-topic');
    await expect(start(missing, 16)).rejects.toThrow(`topic ${missing} does not exist on ${brokers()}: create it with 16 partitions`);
    await expect(start(T.mixed, 16)).rejects.toThrow(`topic ${T.mixed} on ${brokers()} has 4 partitions, expected 16`);
    await expect(start(T.mixed, 4, { KAFKA_DLQ_TOPIC: 'no-such-dlq' })).rejects.toThrow('DLQ topic no-such-dlq does not exist');
  });

  it('a consumer crash kafkajs does not restart is fatal (the process exits non-zero)', async () => {
    // The broker comes back with a larger minimum session timeout than the consumer asks for; once a new
    // member makes the group rebalance, the consumer's JoinGroup is refused with INVALID_SESSION_TIMEOUT,
    // which no retry can fix.
    const own = await startOwnKafka([{ name: 'fatal', partitions: 1 }]);
    try {
      const app = await start('fatal', 1, {}, undefined, own.brokers);
      await eventually(async () => expect((await app.http.get('/health/ready')).status).toBe(200));
      expect(app.fatal).toEqual([]);
      await own.broker.restart({ 'group.min.session.timeout.ms': '20000' });
      const newcomer = new Kafka({ brokers: [own.brokers], logLevel: logLevel.NOTHING }).consumer({
        groupId: app.config.KAFKA_GROUP_ID,
        sessionTimeout: 25_000,
      });
      await newcomer.connect();
      await newcomer.subscribe({ topic: 'fatal', fromBeginning: true });
      await newcomer.run({ eachMessage: async () => undefined });
      try {
        await eventually(() => expect(app.fatal).toHaveLength(1), { timeoutMs: 90_000 });
      } finally {
        await newcomer.disconnect();
      }
      expect(app.fatal[0]!.message).toMatch(/session timeout/i);
      await expect(app.http.get('/health/ready')).resolves.toMatchObject({ status: 503, body: { checks: { kafka: { status: 'down', consumer: 'crashed' } } } });
      await stop(app);
    } finally {
      await own.stop();
    }
  }, 150_000);

  it('a consumer stopped while 50 MiB pile up on one partition catches up with nothing lost (the mock kept only ~5 MiB)', async () => {
    const users = Array.from({ length: 20 }, () => aUserId('backlog'));
    const databaseUrl = await createTestDatabase('ledger_backlog');
    const env = { KAFKA_GROUP_ID: `ledger-backlog-${randomUUID().slice(0, 8)}` };
    const app = await start(T.backlog, 1, env, databaseUrl);
    const warmup = [anAdjustmentEvent({ userId: users[0]!, delta: 1 })];
    await producer.send(T.backlog, warmup);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.backlog))).toBe(1));
    await stop(app);

    // 50 MiB while nobody consumes: events of ordinary size, each carrying a 3.5 KB header (headers are
    // part of the record the broker keeps; the ledger ignores unknown ones).
    const padding = 'p'.repeat(3_500);
    const events: TokenEvent[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 50 * 1024 * 1024; i++) {
      const event = i % 2 ? anAdjustmentEvent({ userId: users[i % users.length]!, delta: (i % 13) - 3 }) : aMessageEvent({ userId: users[i % users.length]! });
      events.push(event);
      bytes += encode(event).length + padding.length;
    }
    // 200 records (~720 KB) per request: the broker refuses record batches above 1 MiB (message.max.bytes).
    for (let i = 0; i < events.length; i += 200) {
      await producer.sendRaw(
        T.backlog,
        events
          .slice(i, i + 200)
          .map((e) => ({ key: e.data.user_id, value: encode(e), headers: { 'event-id': e.id, 'event-type': e.type, 'x-padding': padding } })),
      );
    }

    const caughtUp = await start(T.backlog, 1, env, databaseUrl);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.backlog))).toBe(1 + events.length), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await expect(count(caughtUp, `SELECT count(*) AS n FROM ledger.entries`)).resolves.toBe(1 + events.length);
    await expect(actualTotals(caughtUp.db, users)).resolves.toEqual(expectedTotals([...warmup, ...events]));
    process.stdout.write(`[ledger] backlog of ${events.length} events (${(bytes / 1048576).toFixed(1)} MiB) on one partition caught up\n`);
    await stop(caughtUp);
  }, 180_000);

  it('three consumers join and leave one live group while events flow: every event applied exactly once, none exits', async () => {
    const users = Array.from({ length: 30 }, () => aUserId('group'));
    const databaseUrl = await createTestDatabase('ledger_group');
    const env = { KAFKA_GROUP_ID: `ledger-group-${randomUUID().slice(0, 8)}` };
    const sent: TokenEvent[] = [];
    let flowing = true;
    const flow = (async () => {
      for (let round = 0; flowing || round < 5; round++) {
        const batch = users.map((u, i) => (i % 3 ? anAdjustmentEvent({ userId: u, delta: (round % 7) + 1 }) : aMessageEvent({ userId: u })));
        await producer.send(T.group, batch);
        sent.push(...batch);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const a = await start(T.group, 6, env, databaseUrl);
    await eventually(() => expect(a.metric('ledger_batches_total')).resolves.toBeGreaterThan(0));
    const b = await start(T.group, 6, env, databaseUrl); // joins a live group
    await eventually(() => expect(b.metric('ledger_batches_total')).resolves.toBeGreaterThan(0), { timeoutMs: 30_000 });
    const c = await start(T.group, 6, env, databaseUrl);
    await eventually(() => expect(c.metric('ledger_batches_total')).resolves.toBeGreaterThan(0), { timeoutMs: 30_000 });
    await stop(a); // leaves while the others work
    const a2 = await start(T.group, 6, env, databaseUrl); // and comes back
    await stop(b);
    flowing = false;
    await flow;

    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, T.group))).toBe(sent.length), { timeoutMs: 60_000 });
    const { rows } = await c.db.query(`SELECT count(*)::int AS journal, count(DISTINCT event_id)::int AS distinct FROM ledger.entries`);
    expect(rows[0]).toEqual({ journal: sent.length, distinct: sent.length });
    await expect(actualTotals(c.db, users)).resolves.toEqual(expectedTotals(sent));
    for (const app of [a, b, c, a2]) expect(app.fatal).toEqual([]);
    await stop(c);
    await stop(a2);
  }, 180_000);

  it('a dead letter the DLQ topic refuses does not hold its partition: kept in the database, marked unpublished, redriven later', async () => {
    const user = aUserId('refused');
    const app = await start(T.refused, 1, { KAFKA_DLQ_TOPIC: T.refusedDlq, DLQ_PUBLISH_TIMEOUT: '2s' });
    const big = Buffer.from(JSON.stringify({ ...anAdjustmentEvent({ userId: user }), version: 9, padding: 'x'.repeat(4_000) }));
    const small = Buffer.from('not json');
    const after = [anAdjustmentEvent({ userId: user, delta: 5 }), anAdjustmentEvent({ userId: user, delta: 7 })];
    await producer.sendRaw(T.refused, [
      { key: user, value: big },
      { key: user, value: small },
    ]);
    await producer.send(T.refused, after);

    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, T.refused))).toBe(4));
    await expect(actualTotals(app.db, [user])).resolves.toEqual(expectedTotals(after));
    const { rows } = await app.db.query(`SELECT "offset"::int, reason, dlq_published_at IS NOT NULL AS copied FROM ledger.dead_letters ORDER BY "offset"`);
    expect(rows).toEqual([
      { offset: 0, reason: 'unknown_version', copied: false },
      { offset: 1, reason: 'not_json', copied: true },
    ]);
    await expect(app.metric('ledger_dlq_unpublished_total')).resolves.toBe(1);
    await expect(app.metric('ledger_dlq_published_total')).resolves.toBe(1);

    // Once the topic takes larger records, the redrive publishes what was left behind.
    const kafka = new Kafka({ brokers: [brokers()], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: T.refusedDlq, configEntries: [{ name: 'max.message.bytes', value: '1048576' }] }],
    });
    await admin.disconnect();
    const redriver = kafka.producer();
    await redriver.connect();
    try {
      await expect(redriveDeadLetters({ db: app.app.get(DataSource), producer: redriver, topic: T.refusedDlq })).resolves.toEqual({
        pending: 1,
        published: 1,
        refused: [],
      });
    } finally {
      await redriver.disconnect();
    }
    const { rows: after2 } = await app.db.query(`SELECT count(*)::int AS n FROM ledger.dead_letters WHERE dlq_published_at IS NULL`);
    expect(after2[0].n).toBe(0);
    await stop(app);
  }, 60_000);
  it('nothing silently wrong: conflicting duplicates, a conversation named under another user, sequence gaps and dead letters PostgreSQL refuses', async () => {
    const [alice, bob, seq] = [aUserId('alice'), aUserId('bob'), aUserId('seq')];
    const app = await start(T.integrity, 1);
    await app.db.query(`ALTER TABLE ledger.dead_letters ADD CONSTRAINT test_no_coffee CHECK (key IS NULL OR key <> '\\xc0ffee'::bytea)`);
    const conversationId = randomUUID();
    const original = anAdjustmentEvent({ userId: alice, conversationId, delta: 10 });
    const conflicting = { ...original, data: { ...original.data, tokens_delta: 99 } };
    const stray = anAdjustmentEvent({ userId: bob, conversationId, delta: 7 });
    const numbered = [1, 2, 4, 3, 5].map((n) => ({ ...anAdjustmentEvent({ userId: seq, delta: n }), user_seq: n }));
    await producer.send(T.integrity, [original, original, stray]);
    await producer.sendRaw(T.integrity, [
      { key: alice, value: encode(conflicting) },
      // Year 10000: what kafkajs renders as +010000-…, which PostgreSQL refuses.
      { key: alice, value: Buffer.from('not json'), timestamp: '253402300800000' } as never,
      { key: Buffer.from([0xc0, 0xff, 0xee]), value: Buffer.from('not json either') },
    ]);
    await producer.send(T.integrity, numbered as TokenEvent[]);
    const total = 3 + 3 + numbered.length;
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, T.integrity))).toBe(total));

    // Alice's event counts once; the identical replay is a plain duplicate, the other payload a dead letter.
    await expect(actualTotals(app.db, [alice, bob])).resolves.toEqual(expectedTotals([original]));
    const { rows } = await app.db.query(`SELECT "offset"::int, reason, error, key, kafka_timestamp FROM ledger.dead_letters ORDER BY "offset"`);
    expect(rows.map((r) => [r.offset, r.reason])).toEqual([
      [2, 'conversation_owner_mismatch'],
      [3, 'conflicting_duplicate'],
      [4, 'not_json'],
      [5, 'not_json'],
    ]);
    expect(rows[0].error).toContain(`belongs to user ${alice}`);
    expect(rows[2]).toMatchObject({ kafka_timestamp: null, error: expect.stringContaining('outside years 1 to 9999') });
    expect(rows[3]).toMatchObject({ key: null, error: expect.stringContaining('PostgreSQL refused them') });
    await expect(app.metric('ledger_conflicting_duplicates_total')).resolves.toBe(1);
    await expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBe(1);

    // 1, 2, 4, 3, 5: a gap (3 expected, 4 seen), then 3 arrives late (a reorder); 5 is in line again.
    await expect(actualTotals(app.db, [seq])).resolves.toEqual(expectedTotals(numbered as TokenEvent[]));
    const gaps = await app.http.as(app.token('ops', ['usage:read_all'])).get(`/v1/admin/ledger/sequence-gaps?user_id=${seq}`);
    expect(gaps.status).toBe(200);
    expect(gaps.body.list.map((g: { kind: string; expected_seq: number; seen_seq: number }) => [g.kind, g.expected_seq, g.seen_seq])).toEqual([
      ['reorder', 5, 3],
      ['gap', 3, 4],
    ]);
    await expect(app.metric('ledger_sequence_anomalies_total', { kind: 'gap' })).resolves.toBe(1);
    expect((await app.http.as(app.token(seq)).get('/v1/admin/ledger/sequence-gaps')).status).toBe(403);
    expect((await app.http.as(app.token('ops', ['usage:read_all'])).get('/v1/admin/ledger/sequence-gaps?cursor=nope')).status).toBe(400);
    await stop(app);
  }, 60_000);
});
