import { DomainError } from '../errors/domain-error';

/** A cursor field check: returns true when the decoded value is acceptable. */
export type CursorField = (value: unknown) => boolean;

export const CursorFields = {
  /**
   * RFC 3339 UTC with microseconds, as the APIs render timestamps, naming a real instant: Date.parse rolls
   * 30 February over into March, so the parsed date must print back as the same calendar fields.
   */
  timestampMicros: ((v) => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(v)) return false;
    const ms = Date.parse(v);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === v.slice(0, 19) && v >= '0001';
  }) as CursorField,
  uuid: ((v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) as CursorField,
  /** A positive bigint id carried as a decimal string. */
  bigintId: ((v) => typeof v === 'string' && /^[1-9]\d{0,17}$/.test(v)) as CursorField,
  oneOf:
    (...allowed: string[]): CursorField =>
    (v) =>
      typeof v === 'string' && allowed.includes(v),
};

export function invalidCursor(problem = 'is not a cursor returned by this API'): DomainError {
  return DomainError.invalidField('cursor', problem);
}

/** Keyset cursors are the last row's sort key, base64url-encoded JSON: opaque to clients. */
export function encodeKeysetCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * Decodes a cursor and checks every field, so a forged cursor is a 400 naming `cursor`, never a SQL
 * error or a query on attacker-chosen values.
 */
export function decodeKeysetCursor(cursor: string, fields: readonly CursorField[]): unknown[] {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(value) || value.length !== fields.length || !fields.every((check, i) => check(value[i]))) throw invalidCursor();
  return value;
}
