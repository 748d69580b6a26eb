import { CursorFields, decodeKeysetCursor, encodeKeysetCursor, invalidCursor } from '@chat-ledger/platform';
import type { OutboxSort } from './dto/list-outbox.query.dto';

/** Keyset cursor on the outbox id; it remembers the sort it was made for. */
export function encodeOutboxCursor(sort: OutboxSort, lastId: string): string {
  return encodeKeysetCursor([sort, lastId]);
}

export function decodeOutboxCursor(cursor: string, sort: OutboxSort): string {
  const [cursorSort, id] = decodeKeysetCursor(cursor, [CursorFields.oneOf('id', '-id'), CursorFields.bigintId]) as [OutboxSort, string];
  if (cursorSort !== sort) throw invalidCursor(`was issued for sort=${cursorSort}, not sort=${sort}`);
  return id;
}
