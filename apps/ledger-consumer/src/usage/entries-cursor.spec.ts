import { DomainError } from '@chat-ledger/platform';
import { decodeEntriesCursor, encodeEntriesCursor } from './entries-cursor';

describe('entries cursor', () => {
  it('round-trips a position', () => {
    const position = { effectiveAt: '2026-03-29T01:00:00.123456Z', eventId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' };
    expect(decodeEntriesCursor(encodeEntriesCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['bad time', Buffer.from(JSON.stringify(['2026-03-29', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'])).toString('base64url')],
    ['bad id', Buffer.from(JSON.stringify(['2026-03-29T01:00:00.123456Z', "x' OR 1=1"])).toString('base64url')],
  ])('rejects %s with a 400 naming the cursor', (_name, cursor) => {
    let error: unknown;
    try {
      decodeEntriesCursor(cursor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details).toEqual([{ field: 'cursor', problem: 'is not a cursor returned by this API' }]);
  });
});
