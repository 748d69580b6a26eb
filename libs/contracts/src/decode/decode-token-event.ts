import { validateSync, ValidationError } from 'class-validator';
import { EventEnvelopeDto } from '../envelope/event-envelope';
import { CompiledValidator } from './compiled-validator';
import type { EventContract } from '../registry/event-contract';
import { DecodedTokenEvent, lookupContract } from '../registry/token-event-registry';
import { isSafeText, toSafeText } from '../text/safe-text';
import { rfc3339Problem } from '../time/rfc3339';

/**
 * Why a raw Kafka value was rejected. Stable, low-cardinality codes (metrics labels, dead-letter
 * `reason` column); the accompanying `error` text says which field and what was wrong.
 */
export type RejectionReason =
  'empty_value' | 'not_utf8' | 'not_json' | 'forbidden_key' | 'invalid_envelope' | 'unknown_type' | 'unknown_version' | 'invalid_data';

export type DecodeResult =
  | { ok: true; event: DecodedTokenEvent }
  | {
      ok: false;
      reason: RejectionReason;
      /** Human-readable, names the field; safe to store in a text column (no NUL, well-formed UTF-16). */
      error: string;
      /** The envelope id when it could be read (helps operators find the producer's record). */
      eventId?: string;
      /** The envelope type as sent, when it is a string (at most 100 characters). */
      eventType?: string;
    };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The first of FORBIDDEN_KEYS anywhere in a parsed JSON value. JSON.parse keeps `"__proto__"` as an own key, which a
 * later Object.assign would turn into a prototype: such records are rejected. A walk after the parse, without
 * recursion (any depth), costs a fraction of a JSON.parse reviver, which calls back into JS for every value.
 */
function forbiddenKeyIn(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

// The options below, compiled: an object they accept skips validateSync, which then only runs to say what is wrong.
const ENVELOPE_OPTIONS = { forbidUnknownValues: true, validationError: { target: false, value: false } };
const DATA_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, ...ENVELOPE_OPTIONS };
const envelopeValid = new CompiledValidator({ forbidNonWhitelisted: false }).validity;
const dataValid = new CompiledValidator({ forbidNonWhitelisted: true }).validity;

/**
 * Parses the raw bytes of one token-events record into a validated event, or says why it cannot be
 * applied. Pure: no I/O, never throws. Everything that would later make PostgreSQL reject the row
 * (NUL characters, impossible dates, out-of-range numbers) is rejected here, so a bad record goes to
 * the dead-letter store instead of blocking its partition.
 *
 * Policy: extra fields in the envelope are tolerated (an envelope may gain metadata without a new
 * version); extra fields in `data` are rejected, so contract drift shows up as dead letters.
 */
export function decodeTokenEvent(value: Buffer | Uint8Array | string | null | undefined): DecodeResult {
  if (value === null || value === undefined || value.length === 0) {
    return reject('empty_value', 'record has no value (tombstone or empty message)');
  }

  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else {
    try {
      text = utf8.decode(value);
    } catch {
      return reject('not_utf8', 'value is not valid UTF-8');
    }
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject('not_json', `value is not valid JSON: ${(error as Error).message}`);
  }
  const forbidden = forbiddenKeyIn(parsed);
  if (forbidden !== undefined) return reject('forbidden_key', `forbidden key "${forbidden}"`);

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('invalid_envelope', 'envelope must be a JSON object');
  }
  const raw = parsed as Record<string, unknown>;
  const ids = {
    eventId: typeof raw.id === 'string' && UUID.test(raw.id) ? raw.id.toLowerCase() : undefined,
    eventType: typeof raw.type === 'string' && raw.type.length > 0 ? toSafeText(raw.type, 100) : undefined,
  };

  const envelope = instance(EventEnvelopeDto, raw);
  const envelopeProblems = envelopeValid(envelope) ? [] : flatten(validateSync(envelope, ENVELOPE_OPTIONS));
  if (envelopeProblems.length === 0) {
    if (!isSafeText(envelope.source)) envelopeProblems.push('source: must be well-formed text without NUL characters');
    const occurredProblem = rfc3339Problem(envelope.occurred_at);
    if (occurredProblem) envelopeProblems.push(`occurred_at: ${occurredProblem}`);
  }
  if (envelopeProblems.length > 0) return reject('invalid_envelope', envelopeProblems.join('; '), ids);

  const found = lookupContract(envelope.type, envelope.version);
  if ('unknown' in found) {
    if (found.unknown === 'type') return reject('unknown_type', `unknown event type "${envelope.type}"`, ids);
    return reject('unknown_version', `unknown version ${envelope.version} of ${envelope.type} (known: ${found.known!.join(', ')})`, ids);
  }
  const { contract } = found;
  const problems = validateData(contract, envelope.data);
  if (problems.length === 0 && contract.check) problems.push(...contract.check(envelope.data));
  if (problems.length > 0) return reject('invalid_data', problems.join('; '), ids);
  return {
    ok: true,
    event: {
      id: envelope.id.toLowerCase(),
      type: contract.type,
      version: envelope.version,
      source: envelope.source,
      occurred_at: envelope.occurred_at.toUpperCase(),
      user_seq: envelope.user_seq ?? null,
      data: contract.normalise(envelope.data),
    } as DecodedTokenEvent,
  };
}

/**
 * The DTO instance class-validator needs, with every own field of the parsed JSON (unknown ones
 * included, so forbidNonWhitelisted sees them). Same result as class-transformer's plainToInstance for
 * these flat DTOs at a fraction of its cost; nested DTOs are instantiated by the caller. `__proto__` and
 * friends never get here (rejected while parsing).
 */
function instance<T extends object>(schema: new () => T, plain: Record<string, unknown>): T {
  return Object.assign(new schema(), plain);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The contract's schema over `data`, nested objects with their own schemas; problems prefixed `data.`. */
function validateData(contract: EventContract, data: Record<string, unknown>): string[] {
  const withNested = { ...data };
  for (const [field, schema] of Object.entries(contract.nested ?? {})) {
    const value = data[field];
    if (value === undefined || value === null) continue;
    if (!isPlainObject(value)) return [`data.${field}: must be a JSON object`];
    withNested[field] = instance(schema, value);
  }
  const dto = instance(contract.schema, withNested);
  return dataValid(dto) ? [] : flatten(validateSync(dto, DATA_OPTIONS), 'data.');
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const key = `${prefix}${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) =>
      rule === 'whitelistValidation' ? `${key}: is not an allowed field` : `${key}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], `${key}.`)];
  });
}

function reject(reason: RejectionReason, error: string, ids: { eventId?: string; eventType?: string } = {}): DecodeResult {
  return {
    ok: false,
    reason,
    error: toSafeText(error),
    ...(ids.eventId ? { eventId: ids.eventId } : {}),
    ...(ids.eventType ? { eventType: ids.eventType } : {}),
  };
}
