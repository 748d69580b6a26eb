import { CursorFields, decodeKeysetCursor, encodeKeysetCursor } from '@chat-ledger/platform';

export interface EntriesPosition {
  effectiveAt: string;
  eventId: string;
}

export function encodeEntriesCursor(position: EntriesPosition): string {
  return encodeKeysetCursor([position.effectiveAt, position.eventId]);
}

export function decodeEntriesCursor(cursor: string): EntriesPosition {
  const [effectiveAt, eventId] = decodeKeysetCursor(cursor, [CursorFields.timestampMicros, CursorFields.uuid]) as [string, string];
  return { effectiveAt, eventId };
}
