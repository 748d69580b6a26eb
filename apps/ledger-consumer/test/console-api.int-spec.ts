import { aUserId } from '@chat-ledger/testing';
import { aMessageEvent, recordsOf } from './events';
import { LedgerTestApp, startLedger } from './ledger-test-app';

/**
 * What the operators' console needs from the ledger-consumer: the dead letters with an escaped preview of their
 * raw bytes (scope usage:read_all), and CORS for the console's origin only.
 */
describe('ledger-consumer for the console: dead letters and CORS', () => {
  const CONSOLE = 'http://console.test:3000';
  let ledger: LedgerTestApp;

  beforeAll(async () => {
    ledger = await startLedger({ env: { CONSOLE_ORIGIN: `${CONSOLE}, http://127.0.0.1:3000` } });
  });
  afterAll(async () => ledger?.close());

  it('lists dead letters newest first with reason, error, position and an escaped preview, paged by cursor', async () => {
    const hostile = Buffer.concat([Buffer.from('<img src=x onerror=alert(1)>\u202E\n'), Buffer.from([0x00, 0xff]), Buffer.alloc(600, 0x61)]);
    const good = aMessageEvent({ userId: aUserId('dl') });
    await ledger.apply.execute(recordsOf([Buffer.from('not json'), good, hostile, Buffer.from('{"type":"nope"}')], { topic: 'token-events', firstOffset: 40 }));

    const reader = ledger.http.as(ledger.token('analyst', ['usage:read_all']));
    const first = await reader.get('/v1/admin/ledger/dead-letters?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.totals).toEqual({ total: 3, dlq_unpublished: 3, by_reason: { not_json: 1, not_utf8: 1, invalid_envelope: 1 } });
    expect(first.body.list.map((d: any) => d.kafka.offset)).toEqual(['43', '42']);
    const [, hostileRow] = first.body.list;
    expect(hostileRow).toMatchObject({
      reason: 'not_utf8',
      error: expect.any(String),
      kafka: { topic: 'token-events', partition: 0, offset: '42' },
      value: { bytes: hostile.length, truncated: true },
      received_at: expect.stringMatching(/Z$/),
      dlq_published_at: null,
    });
    expect(hostileRow.value.preview.startsWith('<img src=x onerror=alert(1)>\\u{202e}\\n\\x00\\xff' + 'a'.repeat(10))).toBe(true);
    expect(hostileRow.value.preview).toHaveLength('<img src=x onerror=alert(1)>\\u{202e}\\n\\x00\\xff'.length + 512 - 34); // 34 bytes before the a's

    const second = await reader.get(`/v1/admin/ledger/dead-letters?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.list.map((d: any) => [d.kafka.offset, d.value.preview])).toEqual([['40', 'not json']]);
    expect(second.body.next_cursor).toBeNull();
    await expect(reader.get('/v1/admin/ledger/dead-letters?reason=invalid_envelope')).resolves.toMatchObject({ body: { list: [{ kafka: { offset: '43' } }] } });

    await expect(ledger.http.as(ledger.token('someone')).get('/v1/admin/ledger/dead-letters')).resolves.toMatchObject({ status: 403 });
    await expect(reader.get('/v1/admin/ledger/dead-letters?cursor=bad!')).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'cursor' }] } },
    });
    await expect(reader.get('/v1/admin/ledger/dead-letters?reason=DROP%20TABLE')).resolves.toMatchObject({
      status: 400,
      body: { error: { details: [{ field: 'reason' }] } },
    });
  });

  it('answers CORS for the console origins only: preflight, reads and errors', async () => {
    const preflight = (origin: string) =>
      fetch(`${ledger.http.baseUrl}/v1/usage/summary`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight(CONSOLE);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET,HEAD');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const elsewhere = await preflight('http://evil.test');
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();

    const token = await ledger.token('someone');
    const read = await fetch(`${ledger.http.baseUrl}/v1/usage/summary`, {
      headers: { origin: 'http://127.0.0.1:3000', authorization: `Bearer ${token}`, accept: 'text/csv' },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    expect(read.headers.get('access-control-expose-headers')).toContain('Content-Disposition');
    // An error must be readable too, or the console could not say what went wrong.
    const refused = await fetch(`${ledger.http.baseUrl}/v1/usage/summary`, { headers: { origin: CONSOLE } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(CONSOLE);
  });
});
