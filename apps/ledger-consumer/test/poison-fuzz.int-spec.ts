import { randomUUID } from 'node:crypto';
import { aUserId, createTestTopic, eventually, SeededRandom, testKafkaBrokers } from '@chat-ledger/testing';
import { aMessageEvent, anAdjustmentEvent, encode, TestProducer, TokenEvent } from './events';
import { actualTotals, expectedTotals } from './expected-totals';
import { LedgerTestApp, startLedger } from './ledger-test-app';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

/**
 * Seeded Kafka poison: random bytes, truncated JSON, unknown versions, valid JSON with hostile field
 * values and very large messages, mixed into a stream of good events. Every poison record lands in
 * ledger.dead_letters, every good event is applied exactly, and the partitions keep moving.
 */
describe(`Kafka poison fuzzing (seed ${SEED})`, () => {
  let topic: string;
  let producer: TestProducer;
  let ledger: LedgerTestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    topic = await createTestTopic('poison-fuzz', 16);
    producer = await TestProducer.connect(testKafkaBrokers());
    ledger = await startLedger({
      brokers: testKafkaBrokers(),
      logLines,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '16', KAFKA_GROUP_ID: `poison-fuzz-${randomUUID().slice(0, 8)}` },
    });
  });
  afterAll(async () => {
    if (process.env.DEBUG_POISON) process.stdout.write(logLines.slice(-30).join('\n') + '\n');
    await ledger?.close();
    await producer?.disconnect();
  });

  it('dead-letters every poison record and applies every good one', async () => {
    const random = new SeededRandom(SEED);
    const users = [aUserId('pf'), aUserId('pf'), aUserId('pf')];
    const good: TokenEvent[] = [];
    const poison: Buffer[] = [];
    // Values that are invalid for each field (null is left out where the contract allows it).
    const invalidData: Record<string, unknown[]> = {
      user_id: [null, 5, '', 'a b', 'x'.repeat(100), {}, [], 'a\u0000b'],
      conversation_id: ['not-a-uuid', 5, {}, [], "1' OR '1'='1"],
      message_id: ['not-a-uuid', 5, {}, []],
      tokens_delta: [1.5, 1e12, -1e12, '12', null, true],
      role: ['bot', 1, null, ''],
      model: [5, {}, '', 'x'.repeat(101)],
      reason: ['DROP TABLE', '', 'X', 5, null],
      triggered_at: ['yesterday', 5, null, '2026-02-30T00:00:00Z'],
      usage: [null, 'lots', 5, { prompt_tokens: -1, completion_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 0 }],
    };
    const invalidEnvelope: Record<string, unknown[]> = {
      id: ['nope', 5, null],
      type: [5, null, ''],
      version: ['1', 1.5, 0, null],
      source: [5, null, ''],
      occurred_at: ['yesterday', 5, null],
      data: [null, [], 'x', 5],
    };
    for (let i = 0; i < 600; i++) {
      const user = random.pick(users);
      const event =
        random.next() < 0.6
          ? aMessageEvent({ userId: user, usage: { prompt_tokens: random.int(500), completion_tokens: random.int(500) } })
          : anAdjustmentEvent({ userId: user, delta: random.int(200) - 100 });
      const roll = random.next();
      if (roll < 0.5) {
        good.push(event);
        continue;
      }
      const text = JSON.stringify(event);
      if (roll < 0.58) poison.push(Buffer.from(Array.from({ length: 1 + random.int(300) }, () => random.int(256))));
      else if (roll < 0.66) poison.push(Buffer.from(text.slice(0, 1 + random.int(text.length - 2))));
      else if (roll < 0.72) poison.push(encode({ ...event, version: 4 + random.int(5) }));
      else if (roll < 0.76) poison.push(encode({ ...event, type: random.pick(['chat.message.deleted', '', 'CHAT.MESSAGE.RECORDED']) }));
      else if (roll < 0.88) {
        const field = random.pick(Object.keys(event.data).filter((k) => k in invalidData));
        poison.push(encode({ ...event, data: { ...event.data, [field]: random.pick(invalidData[field]!) } }));
      } else if (roll < 0.94) {
        const field = random.pick(Object.keys(invalidEnvelope));
        poison.push(encode({ ...event, [field]: random.pick(invalidEnvelope[field]!) }));
      } else if (roll < 0.97) poison.push(Buffer.from(text.replace('{', '{"__proto__":{"polluted":true},')));
      else poison.push(encode({ ...event, data: { ...event.data, padding: 'x'.repeat(100_000 + random.int(200_000)) } }));
    }
    // Interleave so poison sits between good events on every partition.
    const messages = [...good.map((e) => ({ key: e.data.user_id, value: encode(e) })), ...poison.map((value, i) => ({ key: users[i % users.length]!, value }))];
    for (let i = messages.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [messages[i], messages[j]] = [messages[j]!, messages[i]!];
    }
    for (let i = 0; i < messages.length; i += 50) await producer.sendRaw(topic, messages.slice(i, i + 50));

    await eventually(
      async () => {
        const { rows } = await ledger.db.query(
          `SELECT (SELECT count(*) FROM ledger.entries)::int AS applied, (SELECT count(*) FROM ledger.dead_letters)::int AS dead`,
        );
        expect(rows[0]).toEqual({ applied: good.length, dead: poison.length });
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await expect(actualTotals(ledger.db, users)).resolves.toEqual(expectedTotals(good));
    const { rows } = await ledger.db.query(`SELECT reason, count(*)::int AS n FROM ledger.dead_letters GROUP BY reason ORDER BY reason`);
    process.stdout.write(`kafka poison fuzz: ${good.length} good, ${poison.length} poison: ${rows.map((r) => `${r.reason}=${r.n}`).join(', ')}\n`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 150_000);
});
