import { DomainError } from '@chat-ledger/platform';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface EntriesPosition {
  effectiveAt: string;
  eventId: string;
}

export function encodeEntriesCursor(position: EntriesPosition): string {
  return Buffer.from(JSON.stringify([position.effectiveAt, position.eventId])).toString('base64url');
}

/** Opaque to clients, checked strictly here: a forged cursor is a 400 naming `cursor`, never a SQL error. */
export function decodeEntriesCursor(cursor: string): EntriesPosition {
  const invalid = () => DomainError.invalidField('cursor', 'is not a cursor returned by this API');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [effectiveAt, eventId] = value;
  if (typeof effectiveAt !== 'string' || !TIME.test(effectiveAt) || Number.isNaN(Date.parse(effectiveAt))) throw invalid();
  if (typeof eventId !== 'string' || !UUID.test(eventId)) throw invalid();
  return { effectiveAt, eventId };
}
