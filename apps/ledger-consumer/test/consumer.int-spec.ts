import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EmbeddedKafka } from '@chat-ledger/embedded-kafka';
import { aUserId, createTestDatabase, eventually } from '@chat-ledger/testing';
import { aMessageEvent, anAdjustmentEvent, encode, recordsOf, TestProducer, TokenEvent } from './events';
import { actualTotals, expectedTotals } from './expected-totals';
import { LedgerTestApp, startLedger } from './ledger-test-app';

// Real PostgreSQL, the embedded Kafka-protocol broker, real kafkajs clients: nothing mocked.

const API_OFFSET_COMMIT = 8;
const API_HEARTBEAT = 12;
const ERR_REQUEST_TIMED_OUT = 7;
const ERR_GROUP_AUTHORIZATION_FAILED = 30;

describe('ledger-consumer on Kafka', () => {
  let ek: EmbeddedKafka;
  let producer: TestProducer;
  const apps: LedgerTestApp[] = [];

  beforeAll(async () => {
    ek = await EmbeddedKafka.start({
      port: 0,
      topics: [
        { name: 'mixed', partitions: 4 },
        { name: 'redelivery', partitions: 2 },
        { name: 'commit-fail', partitions: 2 },
        { name: 'poison', partitions: 1 },
        { name: 'poison-dlq', partitions: 1 },
        { name: 'outage', partitions: 2 },
        { name: 'fatal', partitions: 1 },
      ],
    });
    producer = await TestProducer.connect(ek.bootstrapServers);
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await producer?.disconnect();
    await ek?.stop();
  });

  /** One app per scenario: its own database, topic and consumer group (members of a group start together). */
  async function start(topic: string, partitions: number, env: Record<string, string> = {}, databaseUrl?: string): Promise<LedgerTestApp> {
    const app = await startLedger({
      brokers: ek.bootstrapServers,
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

  async function committedOffsets(groupId: string, topic: string): Promise<number[]> {
    const admin = new Kafka({ brokers: [ek.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
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
              usage: m % 2 === 0 ? { prompt_tokens: 0, completion_tokens: 0 } : { prompt_tokens: 100 * (u + 1) + m, completion_tokens: 7 * m, cached_tokens: m, reasoning_tokens: c },
            }),
          );
        }
        events.push(anAdjustmentEvent({ userId: user, conversationId, messageId: messageIds[1], delta: -(u + 3), reason: 'refund', at: '2026-11-23T12:30:00Z' }));
        events.push(anAdjustmentEvent({ userId: user, conversationId, delta: 11 + c, reason: 'title_generation', at: '2026-11-23T08:59:59.999999Z' }));
      }
      events.push(anAdjustmentEvent({ userId: user, delta: 1000 - u, reason: 'correction', at: '2026-11-22T23:00:00+01:00' }));
    });
    return events;
  }

  it('applies a mixed batch of several users exactly; republished events change nothing and are counted as duplicates', async () => {
    const users = [aUserId('mix'), aUserId('mix'), aUserId('mix')];
    const events = mixedEvents(users);
    const app = await start('mixed', 4);

    await producer.send('mixed', events);
    await eventually(async () => expect(await count(app, `SELECT count(*) AS n FROM ledger.entries`)).toBe(events.length));

    const expected = expectedTotals(events);
    await expect(actualTotals(app.db, users)).resolves.toEqual(expected);
    expect(expected.hourly.length).toBeGreaterThan(20);
    const messages = events.filter((e) => e.type === 'chat.message.recorded').length;
    await expect(app.metric('ledger_events_applied_total', { type: 'chat.message.recorded' })).resolves.toBe(messages);
    await expect(app.metric('ledger_events_applied_total', { type: 'ledger.tokens.adjusted' })).resolves.toBe(events.length - messages);

    await producer.send('mixed', events);
    await eventually(() => expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBe(events.length));
    await expect(actualTotals(app.db, users)).resolves.toEqual(expected);
    await expect(count(app, `SELECT count(*) AS n FROM ledger.entries`)).resolves.toBe(events.length);

    // Offsets are committed after each batch; nothing is left behind.
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'mixed'))).toBe(2 * events.length));
    const metrics: string = (await app.http.get('/metrics')).body;
    expect(metrics).toMatch(/ledger_consumer_lag\{partition="\d",topic="mixed"\} 0/);
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
    const [sent] = await producer.sendRaw('redelivery', events.map((e) => ({ key: e.data.user_id, value: encode(e), partition: 0 })));
    const first = await startLedger({ databaseUrl });
    await first.apply.execute(recordsOf(events, { topic: 'redelivery', partition: 0, firstOffset: Number(sent!.baseOffset) }));
    const before = await actualTotals(first.db, users);
    expect(before).toEqual(expectedTotals(events));
    await first.close();

    const app = await start('redelivery', 2, {}, databaseUrl);
    await eventually(() => expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBe(events.length));
    await expect(app.metric('ledger_events_applied_total', { type: 'chat.message.recorded' })).resolves.toBe(0);
    await expect(actualTotals(app.db, users)).resolves.toEqual(before);
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'redelivery'))).toBe(events.length));
    await stop(app);
  });

  it('a failed offset commit (broker error after the transaction committed) redelivers the batch without double counting', async () => {
    const users = [aUserId('cf')];
    const app = await start('commit-fail', 2);
    const first = mixedEvents(users).slice(0, 5);
    await producer.send('commit-fail', first);
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'commit-fail'))).toBe(first.length));

    ek.pushRequestErrors(API_OFFSET_COMMIT, [ERR_REQUEST_TIMED_OUT]);
    const second = mixedEvents(users).slice(0, 7);
    await producer.send('commit-fail', second);
    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'commit-fail'))).toBe(first.length + second.length));

    await expect(app.metric('ledger_duplicates_skipped_total')).resolves.toBeGreaterThan(0);
    await expect(actualTotals(app.db, users)).resolves.toEqual(expectedTotals([...first, ...second]));
    await stop(app);
  });

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
      { value: json({ ...m(), version: 2 }), reason: 'unknown_version' },
      { value: json({ ...m(), type: 'chat.message.deleted' }), reason: 'unknown_type' },
      { value: withData(a(), { tokens_delta: 1e12 }), reason: 'invalid_data' },
      { value: withData(a(), { tokens_delta: '12' }), reason: 'invalid_data' },
      { value: Buffer.from(JSON.stringify(a()).replace('"tokens_delta":42', '"tokens_delta":NaN')), reason: 'not_json' },
      { value: withData(m(), { usage: { prompt_tokens: -10, completion_tokens: 10, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 0 }, tokens_delta: 0 }), reason: 'invalid_data' },
      { value: withData(a(), { user_id: undefined }), reason: 'invalid_data' },
      { value: withData(a(), { surprise: true }), reason: 'invalid_data' },
      { value: json({ ...m(), occurred_at: '2026-02-30T10:00:00Z' }), reason: 'invalid_envelope' },
      { value: null, reason: 'empty_value' },
    ];
    const app = await start('poison', 1, { KAFKA_DLQ_TOPIC: 'poison-dlq' });

    const messages = [
      { key: user, value: json(good[0]) },
      ...poison.slice(0, 6).map((p, i) => ({ key: i === 0 ? Buffer.from([0xc3, 0x28]) : user, value: p.value, headers: { 'x-binary': Buffer.from([0, 1, 2]), 'x-text': 'hello' } })),
      { key: user, value: json(good[1]) },
      ...poison.slice(6).map((p) => ({ key: user, value: p.value })),
      { key: user, value: json(good[2]) },
    ];
    await producer.sendRaw('poison', messages);

    await eventually(async () => expect(sum(await committedOffsets(app.config.KAFKA_GROUP_ID, 'poison'))).toBe(messages.length));
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
    expect(rows.find((r) => r.reason === 'unknown_version').error).toBe('unknown version 2 of chat.message.recorded (known: 1)');
    expect(rows[4].error).toContain('data.tokens_delta');
    expect(rows[9].error).toContain('data.surprise: is not an allowed field');
    await expect(app.metric('ledger_dead_letters_total', { reason: 'invalid_data' })).resolves.toBe(5);
    await expect(app.metric('ledger_dead_letters_total', { reason: 'not_json' })).resolves.toBe(2);

    // The DLQ topic carries the raw record plus why and where from.
    const dlq: Array<{ value: Buffer | null; headers: Record<string, string> }> = [];
    const reader = new Kafka({ brokers: [ek.bootstrapServers], logLevel: logLevel.NOTHING }).consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 500 });
    await reader.connect();
    try {
      await reader.subscribe({ topic: 'poison-dlq', fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) =>
          void dlq.push({ value: message.value, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }),
      });
      await eventually(() => expect(dlq).toHaveLength(poison.length));
    } finally {
      await reader.disconnect();
    }
    expect(dlq.map((d) => d.headers['dlq-reason'])).toEqual(poison.map((p) => p.reason));
    expect(dlq[0]).toMatchObject({ headers: { 'dlq-source-topic': 'poison', 'dlq-source-partition': '0', 'dlq-source-offset': '1', 'x-text': 'hello' } });
    expect(Buffer.compare(dlq[0]!.value!, randomBytes)).toBe(0);

    // Redelivery of the same records (a new group reading from the start) stores no second dead letter.
    await stop(app);
  });

  it('database down: the batch is retried with backoff, offsets stay put, nothing is skipped; a stop during the outage does not hang', async () => {
    const users = [aUserId('down'), aUserId('down')];
    const events = mixedEvents(users).slice(0, 14);
    const databaseUrl = await createTestDatabase('ledger_down');
    const env = { KAFKA_GROUP_ID: `ledger-outage-${randomUUID().slice(0, 8)}` };
    const app = await start('outage', 2, env, databaseUrl);
    await app.db.query(`
      CREATE FUNCTION ledger.test_unavailable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the database system is starting up' USING ERRCODE = '57P03'; END $$;
      CREATE TRIGGER test_unavailable BEFORE INSERT ON ledger.entries FOR EACH STATEMENT EXECUTE FUNCTION ledger.test_unavailable();`);

    await producer.send('outage', events);
    await eventually(() => expect(app.metric('ledger_batch_retries_total', { step: 'apply' })).resolves.toBeGreaterThanOrEqual(3));
    await expect(count(app, `SELECT count(*) AS n FROM ledger.entries`)).resolves.toBe(0);
    expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, 'outage'))).toBe(0);

    // SIGTERM while the batch waits for the database: the stop abandons the batch instead of hanging.
    const stopping = Date.now();
    await stop(app);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, 'outage'))).toBe(0);

    // The database is back; a new instance of the same group gets everything, exactly once.
    const recovered = await start('outage', 2, env, databaseUrl);
    await recovered.db.query(`DROP TRIGGER test_unavailable ON ledger.entries; DROP FUNCTION ledger.test_unavailable();`);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, 'outage'))).toBe(events.length), { timeoutMs: 20_000 });
    await expect(actualTotals(recovered.db, users)).resolves.toEqual(expectedTotals(events));

    // A record the database refuses although it passed validation is isolated and dead-lettered.
    await recovered.db.query(`ALTER TABLE ledger.entries ADD CONSTRAINT test_no_777 CHECK (tokens_delta <> 777)`);
    const more = [
      aMessageEvent({ userId: users[0]! }),
      anAdjustmentEvent({ userId: users[0]!, delta: 777 }),
      anAdjustmentEvent({ userId: users[0]!, delta: 3 }),
    ];
    await producer.send('outage', more);
    await eventually(async () => expect(sum(await committedOffsets(env.KAFKA_GROUP_ID, 'outage'))).toBe(events.length + 3));
    const { rows } = await recovered.db.query(`SELECT reason, event_id::text, error FROM ledger.dead_letters`);
    expect(rows).toEqual([{ reason: 'rejected_by_database', event_id: more[1]!.id, error: expect.stringContaining('23514') }]);
    await expect(actualTotals(recovered.db, users)).resolves.toEqual(expectedTotals([...events, more[0]!, more[2]!]));
    await stop(recovered);
  }, 40_000);

  it('refuses to start when the topic is missing or has another partition count, naming the fix', async () => {
    await expect(start('no-such-topic', 16)).rejects.toThrow(`topic no-such-topic does not exist on ${ek.bootstrapServers}: create it with 16 partitions`);
    await expect(start('mixed', 16)).rejects.toThrow(/topic mixed on .* has 4 partitions, expected 16/);
    await expect(start('mixed', 4, { KAFKA_DLQ_TOPIC: 'no-such-dlq' })).rejects.toThrow('DLQ topic no-such-dlq does not exist');
  });

  it('a consumer crash kafkajs does not restart is fatal (the process exits non-zero)', async () => {
    const app = await start('fatal', 1);
    expect(app.fatal).toEqual([]);
    ek.pushRequestErrors(API_HEARTBEAT, [ERR_GROUP_AUTHORIZATION_FAILED]);
    await eventually(() => expect(app.fatal).toHaveLength(1), { timeoutMs: 10_000 });
    expect(app.fatal[0]!.message).toMatch(/authoriz/i);
    await expect(app.http.get('/health/ready')).resolves.toMatchObject({ status: 503, body: { checks: { kafka: { status: 'down', consumer: 'crashed' } } } });
    await stop(app);
  });
});
