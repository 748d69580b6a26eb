import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { decodeTokenEvent } from '../../../decode/decode-token-event';

const erased = (data: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  type: 'user.erased',
  version: 1,
  source: 'chat-gateway',
  occurred_at: '2026-12-01T10:00:00.123456Z',
  user_seq: 12,
  data: { user_id: 'u-1', erasure_id: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', requested_at: '2026-12-01T10:00:00.123456Z', ...data },
});

const decode = (value: unknown) => decodeTokenEvent(Buffer.from(JSON.stringify(value)));

describe('user.erased v1', () => {
  it('decodes with the erasure id in lower case', () => {
    expect(decode(erased())).toMatchObject({
      ok: true,
      event: {
        type: 'user.erased',
        user_seq: 12,
        data: { user_id: 'u-1', erasure_id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', requested_at: '2026-12-01T10:00:00.123456Z' },
      },
    });
  });

  it('refuses a missing or malformed erasure id, a bad user id, a bad time and extra fields, naming the field', () => {
    for (const [data, field] of [
      [{ erasure_id: 'not-a-uuid' }, 'data.erasure_id'],
      [{ erasure_id: undefined }, 'data.erasure_id'],
      [{ user_id: 'has space' }, 'data.user_id'],
      [{ requested_at: 'yesterday' }, 'data.requested_at'],
      [{ content: 'anything' }, 'data.content'],
    ] as const) {
      const result = decode(erased(data));
      expect(result).toMatchObject({ ok: false, reason: 'invalid_data' });
      expect(result.ok ? '' : result.error).toContain(field);
    }
  });
});
