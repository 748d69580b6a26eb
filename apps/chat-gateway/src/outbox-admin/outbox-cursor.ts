import { DomainError } from '@chat-ledger/platform';
import type { OutboxSort } from './dto/list-outbox.query.dto';

/** Keyset cursor on the outbox id; it remembers the sort it was made for. Opaque to clients, checked strictly here. */
export function encodeOutboxCursor(sort: OutboxSort, lastId: string): string {
  return Buffer.from(JSON.stringify([sort, lastId])).toString('base64url');
}

export function decodeOutboxCursor(cursor: string, sort: OutboxSort): string {
  const invalid = (problem = 'is not a cursor returned by this API') => DomainError.invalidField('cursor', problem);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [cursorSort, id] = value;
  if ((cursorSort !== 'id' && cursorSort !== '-id') || typeof id !== 'string' || !/^[1-9]\d{0,17}$/.test(id)) throw invalid();
  if (cursorSort !== sort) throw invalid(`was issued for sort=${cursorSort}, not sort=${sort}`);
  return id;
}
