import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { toSafeText } from '../text/safe-text';
import { rfc3339Problem } from '../time/rfc3339';
import { decodeTokenEvent } from './decode-token-event';

const message = (data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'chat.message.recorded',
  version: 1,
  source: 'chat-gateway',
  occurred_at: '2026-11-23T10:00:00.123456Z',
  data: {
    user_id: 'u-1',
    conversation_id: randomUUID(),
    message_id: randomUUID(),
    role: 'assistant',
    model: 'gpt-4o',
    usage: { prompt_tokens: 120, completion_tokens: 80, cached_tokens: 10, reasoning_tokens: 0, total_tokens: 200 },
    tokens_delta: 200,
    ...data,
  },
  ...envelope,
});

const adjustment = (data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'ledger.tokens.adjusted',
  version: 1,
  source: 'billing',
  occurred_at: '2026-11-23T10:00:00Z',
  data: {
    user_id: 'u-1',
    conversation_id: null,
    message_id: null,
    tokens_delta: -42,
    reason: 'refund',
    triggered_at: '2026-11-23T09:59:00+01:00',
    ...data,
  },
  ...envelope,
});

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeTokenEvent', () => {
  it('accepts a valid chat.message.recorded v1 and normalises ids to lower case', () => {
    const event = message({ conversation_id: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE' });
    const result = decodeTokenEvent(bytes(event));
    expect(result).toEqual({
      ok: true,
      event: {
        id: event.id,
        type: 'chat.message.recorded',
        version: 1,
        source: 'chat-gateway',
        occurred_at: '2026-11-23T10:00:00.123456Z',
        user_seq: null,
        // Read in the newest shape: v1 has no cache write tokens and no channel or operation.
        data: {
          ...event.data,
          usage: { ...(event.data.usage as object), cache_write_tokens: 0 },
          conversation_id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
          channel: null,
          operation: null,
          org_id: null,
          project_id: null,
          api_key_id: null,
        },
      },
    });
  });

  it('accepts a user message without model (model null) and a valid adjustment', () => {
    const userMessage = message({
      role: 'user',
      model: undefined,
      usage: { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 0 },
      tokens_delta: 0,
    });
    expect(decodeTokenEvent(bytes(userMessage))).toMatchObject({ ok: true, event: { data: { model: null, tokens_delta: 0 } } });
    expect(decodeTokenEvent(bytes(adjustment()))).toMatchObject({
      ok: true,
      event: { type: 'ledger.tokens.adjusted', data: { tokens_delta: -42, reason: 'refund', conversation_id: null } },
    });
  });

  it("carries the producer's per-user sequence number; one that is not a positive integer is an invalid envelope", () => {
    expect(decodeTokenEvent(bytes(message({}, { user_seq: 7 })))).toMatchObject({ ok: true, event: { user_seq: 7 } });
    for (const bad of [0, -1, 1.5, '7', 2 ** 60]) {
      expect(decodeTokenEvent(bytes(message({}, { user_seq: bad })))).toMatchObject({
        ok: false,
        reason: 'invalid_envelope',
        error: expect.stringContaining('user_seq'),
      });
    }
  });

  it('v2 carries cache write tokens, channel and operation, and refuses usage whose parts do not add up', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 50, cached_tokens: 30, cache_write_tokens: 20, reasoning_tokens: 10, total_tokens: 150 };
    const v2 = message({ usage, tokens_delta: 150, channel: 'web', operation: 'chat' }, { version: 2 });
    expect(decodeTokenEvent(bytes(v2))).toMatchObject({ ok: true, event: { version: 2, data: { usage, channel: 'web', operation: 'chat' } } });
    const bad = (u: Partial<typeof usage>, extra: Record<string, unknown> = {}) =>
      decodeTokenEvent(bytes(message({ usage: { ...usage, ...u }, tokens_delta: u.total_tokens ?? 150, ...extra }, { version: 2 })));
    expect(bad({ cached_tokens: 90 })).toMatchObject({
      ok: false,
      reason: 'invalid_data',
      error: expect.stringContaining('cached_tokens + cache_write_tokens must not exceed'),
    });
    expect(bad({ reasoning_tokens: 60 })).toMatchObject({ ok: false, error: expect.stringContaining('data.usage.reasoning_tokens') });
    expect(bad({ total_tokens: 149 })).toMatchObject({ ok: false, error: expect.stringContaining('data.usage.total_tokens') });
    expect(bad({}, { channel: 'Web App' })).toMatchObject({ ok: false, error: expect.stringContaining('data.channel') });
    expect(decodeTokenEvent(bytes(message({ usage }, { version: 1 })))).toMatchObject({
      ok: false,
      error: expect.stringContaining('cache_write_tokens: is not an allowed field'),
    });
  });

  it('v3 carries the tenant (org, project, API key), each optional; older versions read as no tenant', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 50, cached_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, total_tokens: 150 };
    const tenant = { org_id: 'org-A', project_id: 'Proj_1', api_key_id: 'key:42' };
    expect(decodeTokenEvent(bytes(message({ usage, tokens_delta: 150, ...tenant }, { version: 3 })))).toMatchObject({
      ok: true,
      event: { version: 3, data: { ...tenant, channel: null } },
    });
    expect(decodeTokenEvent(bytes(message({ usage, tokens_delta: 150, org_id: 'org-A' }, { version: 3 })))).toMatchObject({
      ok: true,
      event: { data: { org_id: 'org-A', project_id: null, api_key_id: null } },
    });
    for (const version of [1, 2]) {
      const old = version === 1 ? message() : message({ usage, tokens_delta: 150 }, { version });
      expect(decodeTokenEvent(bytes(old))).toMatchObject({ ok: true, event: { data: { org_id: null, project_id: null, api_key_id: null } } });
    }
    expect(decodeTokenEvent(bytes(message({ usage, tokens_delta: 150, org_id: 'org A' }, { version: 3 })))).toMatchObject({
      ok: false,
      reason: 'invalid_data',
      error: expect.stringContaining('data.org_id: must be 1 to 64 printable ASCII'),
    });
    expect(decodeTokenEvent(bytes(message({ usage, tokens_delta: 150, api_key_id: 'k'.repeat(65) }, { version: 3 })))).toMatchObject({
      ok: false,
      error: expect.stringContaining('data.api_key_id'),
    });
    // v2 knows no tenant: the field is contract drift, not silently dropped.
    expect(decodeTokenEvent(bytes(message({ usage, tokens_delta: 150, org_id: 'org-A' }, { version: 2 })))).toMatchObject({
      ok: false,
      error: expect.stringContaining('data.org_id: is not an allowed field'),
    });
    const adjustmentV3 = adjustment({ model: null, channel: null, operation: null, org_id: 'org-B', project_id: null }, { version: 3 });
    expect(decodeTokenEvent(bytes(adjustmentV3))).toMatchObject({ ok: true, event: { data: { org_id: 'org-B', project_id: null, api_key_id: null } } });
    expect(decodeTokenEvent(bytes(adjustment()))).toMatchObject({ ok: true, event: { data: { org_id: null } } });
  });

  it('tolerates extra envelope fields', () => {
    expect(decodeTokenEvent(bytes(message({}, { traceparent: '00-abc', extra: { a: 1 } })))).toMatchObject({ ok: true });
  });

  it.each([
    ['null value', null, 'empty_value'],
    ['empty value', Buffer.alloc(0), 'empty_value'],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9c]), 'not_utf8'],
    ['truncated JSON', Buffer.from(JSON.stringify(message()).slice(0, 40)), 'not_json'],
    ['NaN literal', Buffer.from('{"tokens_delta": NaN}'), 'not_json'],
    ['a JSON array', Buffer.from('[1,2]'), 'invalid_envelope'],
    ['a JSON string', Buffer.from('"hello"'), 'invalid_envelope'],
    ['__proto__ key', Buffer.from('{"__proto__": {"polluted": true}}'), 'forbidden_key'],
  ])('rejects %s', (_name, value, reason) => {
    expect(decodeTokenEvent(value)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['missing id', message({}, { id: undefined }), /^id: /],
    ['non-uuid id', message({}, { id: 'abc' }), /^id: /],
    ['version as string', message({}, { version: '1' }), /version/],
    ['data as array', message({}, { data: [] }), /data/],
    ['occurred_at without zone', message({}, { occurred_at: '2026-11-23T10:00:00' }), /occurred_at/],
    ['occurred_at impossible date', message({}, { occurred_at: '2026-02-30T10:00:00Z' }), /occurred_at/],
    ['source with NUL', message({}, { source: 'a\u0000b' }), /source/],
  ])('rejects an invalid envelope: %s', (_name, value, error) => {
    const result = decodeTokenEvent(bytes(value));
    expect(result).toMatchObject({ ok: false, reason: 'invalid_envelope' });
    expect(result.ok === false && result.error).toMatch(error);
  });

  it('rejects unknown types and versions, keeping the event id for operators', () => {
    const unknownType = message({}, { type: 'chat.message.deleted' });
    expect(decodeTokenEvent(bytes(unknownType))).toEqual({
      ok: false,
      reason: 'unknown_type',
      error: 'unknown event type "chat.message.deleted"',
      eventId: unknownType.id,
      eventType: 'chat.message.deleted',
    });
    const v9 = message({}, { version: 9 });
    expect(decodeTokenEvent(bytes(v9))).toMatchObject({
      ok: false,
      reason: 'unknown_version',
      error: 'unknown version 9 of chat.message.recorded (known: 1, 2, 3)',
      eventId: v9.id,
      eventType: 'chat.message.recorded',
    });
  });

  it.each([
    ['tokens_delta 1e12', adjustment({ tokens_delta: 1e12 }), 'data.tokens_delta'],
    ['tokens_delta as string', adjustment({ tokens_delta: '12' }), 'data.tokens_delta'],
    ['tokens_delta fractional', adjustment({ tokens_delta: 1.5 }), 'data.tokens_delta'],
    ['missing user_id', adjustment({ user_id: undefined }), 'data.user_id'],
    ['user_id with spaces', adjustment({ user_id: 'a b' }), 'data.user_id'],
    ['user_id with NUL', adjustment({ user_id: 'a\u0000' }), 'data.user_id'],
    ['reason not a slug', adjustment({ reason: 'Refund!' }), 'data.reason'],
    ['triggered_at impossible', adjustment({ triggered_at: '2026-13-01T00:00:00Z' }), 'data.triggered_at'],
    ['extra field in data', adjustment({ sneaky: 1 }), 'data.sneaky: is not an allowed field'],
    [
      'negative usage',
      message({ usage: { prompt_tokens: -1, completion_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 0 }, tokens_delta: 0 }),
      'data.usage.prompt_tokens',
    ],
    ['missing usage', message({ usage: undefined }), 'data.usage'],
    [
      'usage as array',
      message({ usage: [{ prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 2 }], tokens_delta: 2 }),
      'data.usage',
    ],
    [
      'extra usage field',
      message({ usage: { prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, total_tokens: 2, audio_tokens: 3 }, tokens_delta: 2 }),
      'data.usage.audio_tokens',
    ],
    ['delta differs from total', message({ tokens_delta: 199 }), 'data.tokens_delta: must equal'],
    ['unknown role', message({ role: 'robot' }), 'data.role'],
    ['model with NUL', message({ model: 'gpt\u0000' }), 'data.model'],
    ['conversation_id not a uuid', message({ conversation_id: 'c-1' }), 'data.conversation_id'],
  ])('rejects invalid data: %s', (_name, value, error) => {
    const result = decodeTokenEvent(bytes(value));
    expect(result).toMatchObject({ ok: false, reason: 'invalid_data', eventId: value.id });
    expect(result.ok === false && result.error).toContain(error);
  });

  it('never throws on arbitrary input', () => {
    for (let i = 0; i < 500; i++) {
      const length = Math.floor(Math.random() * 64);
      const buf = Buffer.from(Array.from({ length }, () => Math.floor(Math.random() * 256)));
      expect(() => decodeTokenEvent(buf)).not.toThrow();
    }
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(decodeTokenEvent(Buffer.from(deep))).toMatchObject({ ok: false });
  });
});

describe('rfc3339Problem', () => {
  it.each(['2026-03-29T01:59:59Z', '2026-03-29T02:30:00.123456789+02:00', '2024-02-29T00:00:00-05:30', '2026-01-01t00:00:00z'])('accepts %s', (v) => {
    expect(rfc3339Problem(v)).toBeUndefined();
  });
  it.each(['2026-03-29', '2026-03-29 01:00:00Z', '2025-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:60Z', '2026-01-01T00:00:00+16:00'])(
    'rejects %s',
    (v) => {
      expect(rfc3339Problem(v)).toBeDefined();
    },
  );
});

describe('toSafeText', () => {
  it('replaces NUL and lone surrogates and caps the length', () => {
    expect(toSafeText('a\u0000b\ud800c')).toBe('a\ufffdb\ufffdc');
    expect(toSafeText('x'.repeat(20), 10)).toBe('xxxxxxxxx…');
    expect(toSafeText('😀😀😀', 4)).toBe('😀\ufffd…');
  });
});
