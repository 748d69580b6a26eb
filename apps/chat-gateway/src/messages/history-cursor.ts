import { CursorFields, decodeKeysetCursor, encodeKeysetCursor } from '@chat-ledger/platform';

export interface HistoryPosition {
  createdAt: string;
  id: string;
}

export function encodeHistoryCursor(position: HistoryPosition): string {
  return encodeKeysetCursor([position.createdAt, position.id]);
}

export function decodeHistoryCursor(cursor: string): HistoryPosition {
  const [createdAt, id] = decodeKeysetCursor(cursor, [CursorFields.timestampMicros, CursorFields.uuid]) as [string, string];
  return { createdAt, id };
}
