import { aUserId, EndpointSpec, fuzzFailures, generateFuzzCases, SeededRandom } from '@chat-ledger/testing';
import { aMessageEvent, recordsOf } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

/** Seeded fuzzing of the read endpoints and the price book's writes: each invalid request is a 4xx JSON error, never a 5xx, and changes nothing. */
describe(`ledger read API fuzzing (seed ${SEED})`, () => {
  let ledger: LedgerTestApp;
  const user = aUserId();
  let conversationId: string;
  beforeAll(async () => {
    ledger = await startLedger();
    const event = aMessageEvent({ userId: user });
    conversationId = event.data.conversation_id;
    await ledger.apply.execute(recordsOf([event]));
  });
  afterAll(() => ledger.close());

  it('answers every invalid request with a 4xx JSON error', async () => {
    const random = new SeededRandom(SEED);
    const endpoints: EndpointSpec[] = [
      { name: 'user usage', method: 'GET', path: '/v1/users/:user_id/usage', params: { user_id: user } },
      { name: 'conversation usage', method: 'GET', path: '/v1/conversations/:id/usage', params: { id: conversationId } },
      {
        name: 'entries',
        method: 'GET',
        path: '/v1/usage/entries',
        query: { user_id: 'user-id', conversation_id: 'uuid', from: 'time', to: 'time', reason: 'slug', limit: 'int', cursor: 'cursor' },
      },
      { name: 'summary', method: 'GET', path: '/v1/usage/summary', query: { group_by: 'enum', from: 'time', to: 'time', user_id: 'user-id', tz: 'tz' } },
      { name: 'timeline', method: 'GET', path: '/v1/usage/timeline', query: { interval: 'enum', from: 'time', to: 'time', user_id: 'user-id', tz: 'tz' } },
      { name: 'daily', method: 'GET', path: '/v1/usage/daily', query: { days: 'int', user_id: 'user-id', tz: 'tz' } },
      { name: 'sessions', method: 'GET', path: '/v1/usage/sessions', query: { user_id: 'user-id', limit: 'int', offset: 'offset' } },
    ];
    const cases = endpoints.flatMap((e) => generateFuzzCases(e, { random, bodyLimitBytes: 1024 * 1024 }));
    const before = (await ledger.db.query(`SELECT count(*)::int AS n FROM ledger.entries`)).rows[0].n;
    const token = await ledger.token(user);
    const failures = await fuzzFailures(
      ledger.http.baseUrl,
      cases.map((c) => ({ ...c, token })),
    );
    process.stdout.write(`ledger fuzz: ${cases.length} cases, seed ${SEED}, ${failures.length} failures\n${failures.slice(0, 20).join('\n')}\n`);
    expect(failures).toEqual([]);
    await expect(ledger.db.query(`SELECT count(*)::int AS n FROM ledger.entries`).then((r) => r.rows[0].n)).resolves.toBe(before);
  });

  it('answers every invalid price version with a 4xx JSON error and adds no price', async () => {
    const random = new SeededRandom(SEED + 1);
    // The model is in the path as free text (any model name is valid there), so only the body is fuzzed.
    const price: EndpointSpec = {
      name: 'put price',
      method: 'PUT',
      path: '/v1/admin/prices/fuzz-model',
      body: () => ({ effective_from: '2026-12-01T00:00:00Z', currency: 'USD', input_per_mtok: '2.50', output_per_mtok: '10.00' }),
      fields: {
        effective_from: { kind: 'time', required: true, futureValid: true }, // prices may be announced ahead
        input_per_mtok: { kind: 'decimal', required: true },
        cached_input_per_mtok: { kind: 'decimal' },
        cache_write_per_mtok: { kind: 'decimal' },
        output_per_mtok: { kind: 'decimal', required: true },
        reasoning_per_mtok: { kind: 'decimal' },
      },
    };
    const cases = generateFuzzCases(price, { random, bodyLimitBytes: 1024 * 1024, extra: 200 });
    const prices = () => ledger.db.query(`SELECT count(*)::int AS n FROM ledger.prices`).then((r) => r.rows[0].n);
    const before = await prices();
    const token = await ledger.token('ops', ['prices:admin']);
    const failures = await fuzzFailures(
      ledger.http.baseUrl,
      cases.map((c) => ({ ...c, token })),
    );
    process.stdout.write(`ledger price fuzz: ${cases.length} cases, seed ${SEED + 1}, ${failures.length} failures\n${failures.slice(0, 20).join('\n')}\n`);
    expect(cases.length).toBeGreaterThan(200);
    expect(failures).toEqual([]);
    await expect(prices()).resolves.toBe(before);
  });
});
