import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { decodeTokenEvent } from '../../../decode/decode-token-event';

const usage = (prompt: number, completion: number, extra: Record<string, number> = {}) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  cached_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: prompt + completion,
  ...extra,
});

const upserted = (data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'ledger.usage.upserted',
  version: 1,
  source: 'chat-gateway',
  occurred_at: '2026-11-23T10:00:00.123456Z',
  data: {
    user_id: 'u-1',
    conversation_id: null,
    source: 'agents',
    external_id: 'run-42:step.7',
    revision: 3,
    previous_revision: 1,
    model: 'gpt-4o',
    channel: null,
    operation: 'agent_step',
    usage: usage(300, 120, { cached_tokens: 100 }),
    delta: usage(200, 20, { cached_tokens: 100 }),
    ...data,
  },
  ...envelope,
});

const decode = (value: unknown) => decodeTokenEvent(Buffer.from(JSON.stringify(value)));

describe('ledger.usage.upserted v1', () => {
  it('decodes a correcting revision: the full usage and the delta to the revision before it', () => {
    const event = upserted({ conversation_id: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE' });
    expect(decode(event)).toEqual({
      ok: true,
      event: expect.objectContaining({
        type: 'ledger.usage.upserted',
        version: 1,
        // Read in the newest shape: v1 names no tenant.
        data: { ...event.data, conversation_id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', org_id: null, project_id: null, api_key_id: null },
      }),
    });
  });

  it('v2 adds the tenant of the record, checked like user ids', () => {
    const tenant = { org_id: 'org-A', project_id: 'p-1', api_key_id: null };
    expect(decode(upserted(tenant, { version: 2 }))).toMatchObject({ ok: true, event: { version: 2, data: tenant } });
    expect(decode(upserted({ project_id: 'p 1' }, { version: 2 }))).toMatchObject({ ok: false, error: expect.stringContaining('data.project_id') });
    expect(decode(upserted(tenant))).toMatchObject({ ok: false, error: expect.stringContaining('data.org_id: is not an allowed field') });
  });

  it('decodes a first revision, whose delta is its usage', () => {
    expect(decode(upserted({ revision: 1, previous_revision: null, usage: usage(100, 100), delta: usage(100, 100) }))).toMatchObject({ ok: true });
    expect(decode(upserted({ revision: 1, previous_revision: undefined, usage: usage(100, 100), delta: usage(100, 100) }))).toMatchObject({
      ok: true,
      event: { data: { previous_revision: null } },
    });
  });

  it('decodes a correction downwards (negative deltas)', () => {
    expect(decode(upserted({ usage: usage(100, 50), delta: usage(-200, -70) }))).toMatchObject({
      ok: true,
      event: { data: { delta: { prompt_tokens: -200, total_tokens: -270 } } },
    });
  });

  it.each([
    ['a revision of 0', { revision: 0 }, 'data.revision'],
    ['a fractional revision', { revision: 1.5 }, 'data.revision'],
    ['a previous revision not below the revision', { previous_revision: 3 }, 'data.previous_revision: must be below revision (3)'],
    ['a first revision whose delta is not its usage', { previous_revision: null }, 'data.delta: must equal data.usage'],
    ['a delta whose total does not add up', { delta: { ...usage(200, 20), total_tokens: 221 } }, 'data.delta.total_tokens'],
    ['a delta larger than the usage (previous usage negative)', { delta: usage(400, 20) }, 'data.delta.prompt_tokens: must not exceed usage.prompt_tokens'],
    [
      'a delta that leaves an impossible previous usage',
      { usage: usage(300, 120, { cached_tokens: 250 }), delta: usage(200, 20) },
      'cached_tokens + cache_write_tokens must not exceed prompt_tokens (100) (in usage - delta',
    ],
    ['usage whose parts do not add up', { usage: { ...usage(300, 120), total_tokens: 1 } }, 'data.usage.total_tokens'],
    ['a source with a slash', { source: 'a/b' }, 'data.source'],
    ['an external id of 129 characters', { external_id: 'x'.repeat(129) }, 'data.external_id'],
    ['an unknown field', { extra: 1 }, 'data.extra: is not an allowed field'],
    [
      'a delta without cache write tokens',
      { delta: { prompt_tokens: 200, completion_tokens: 20, cached_tokens: 100, reasoning_tokens: 0, total_tokens: 220 } },
      'data.delta.cache_write_tokens',
    ],
  ])('rejects %s', (_name, data, problem) => {
    const result = decode(upserted(data));
    expect(result).toMatchObject({ ok: false, reason: 'invalid_data' });
    expect(result.ok === false && result.error).toContain(problem);
  });
});
