import { DomainError } from '@chat-ledger/platform';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface HistoryPosition {
  createdAt: string;
  id: string;
}

export function encodeHistoryCursor(position: HistoryPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** Cursors are opaque to clients but checked strictly here: a forged one is a 400, never a SQL error. */
export function decodeHistoryCursor(cursor: string): HistoryPosition {
  const invalid = () => DomainError.invalidField('cursor', 'is not a cursor returned by this API');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [createdAt, id] = value;
  if (typeof createdAt !== 'string' || !TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw invalid();
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid();
  return { createdAt, id };
}
