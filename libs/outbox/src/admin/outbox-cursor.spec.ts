import { DomainError } from '@chat-ledger/platform';
import { decodeOutboxCursor, encodeOutboxCursor } from './outbox-cursor';

describe('outbox keyset cursor', () => {
  it('round-trips the last id for the sort it was made for', () => {
    expect(decodeOutboxCursor(encodeOutboxCursor('-id', '12345'), '-id')).toBe('12345');
    expect(decodeOutboxCursor(encodeOutboxCursor('id', '1'), 'id')).toBe('1');
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify({ id: 1 })).toString('base64url')],
    ['id not a positive integer', Buffer.from(JSON.stringify(['id', '0'])).toString('base64url')],
    ['id injection', Buffer.from(JSON.stringify(['id', '1; DROP TABLE x'])).toString('base64url')],
    ['unknown sort', Buffer.from(JSON.stringify(['created_at', '5'])).toString('base64url')],
  ])('rejects a forged cursor (%s) as a 400 on the cursor field', (_, cursor) => {
    expect(() => decodeOutboxCursor(cursor, 'id')).toThrow(DomainError);
    try {
      decodeOutboxCursor(cursor, 'id');
    } catch (error) {
      expect((error as DomainError).details).toEqual([{ field: 'cursor', problem: 'is not a cursor returned by this API' }]);
    }
  });

  it('refuses a cursor of the other sort order', () => {
    expect(() => decodeOutboxCursor(encodeOutboxCursor('-id', '9'), 'id')).toThrow('was issued for sort=-id, not sort=id');
  });
});
