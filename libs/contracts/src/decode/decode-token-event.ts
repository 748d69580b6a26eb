import { validateSync, ValidationError } from 'class-validator';
import {
  CHAT_MESSAGE_RECORDED,
  CHAT_MESSAGE_RECORDED_VERSION,
  ChatMessageRecordedV1,
  ChatMessageRecordedV1Dto,
  TokenUsageDto,
} from '../chat-message-recorded/chat-message-recorded.event';
import { EventEnvelopeDto } from '../envelope/event-envelope';
import { TOKENS_ADJUSTED, TOKENS_ADJUSTED_VERSION, TokensAdjustedV1, TokensAdjustedV1Dto } from '../tokens-adjusted/tokens-adjusted.event';

/**
 * Why a raw Kafka value was rejected. Stable, low-cardinality codes (metrics labels, dead-letter
 * `reason` column); the accompanying `error` text says which field and what was wrong.
 */
export type RejectionReason =
  | 'empty_value'
  | 'not_utf8'
  | 'not_json'
  | 'forbidden_key'
  | 'invalid_envelope'
  | 'unknown_type'
  | 'unknown_version'
  | 'invalid_data';

/** Envelope fields the ledger relies on, plus the validated `data` of one known type and version. */
interface DecodedBase {
  id: string;
  version: number;
  source: string;
  /** As sent (RFC 3339 with zone), `T` and `Z` upper-cased. */
  occurred_at: string;
}

export interface DecodedMessageRecorded extends DecodedBase {
  type: typeof CHAT_MESSAGE_RECORDED;
  data: ChatMessageRecordedV1;
}

export interface DecodedTokensAdjusted extends DecodedBase {
  type: typeof TOKENS_ADJUSTED;
  data: TokensAdjustedV1;
}

export type DecodedTokenEvent = DecodedMessageRecorded | DecodedTokensAdjusted;

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

/** Known (type, version) pairs. A new version is a new entry here, never a silent reinterpretation. */
const KNOWN_VERSIONS: Record<string, readonly number[]> = {
  [CHAT_MESSAGE_RECORDED]: [CHAT_MESSAGE_RECORDED_VERSION],
  [TOKENS_ADJUSTED]: [TOKENS_ADJUSTED_VERSION],
};

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Same form as JWT subjects (libs/platform USER_ID_PATTERN): printable ASCII, no spaces, 1..64. */
const USER_ID = /^[\x21-\x7e]{1,64}$/;
/** RFC 3339 date-time with a zone (Z or ±hh:mm); fractional seconds up to nanoseconds. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_ERROR_LENGTH = 1000;

class ForbiddenKeyError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

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
    parsed = JSON.parse(text, (key, v) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(`forbidden key "${key}"`);
      return v;
    });
  } catch (error) {
    if (error instanceof ForbiddenKeyError) return reject('forbidden_key', error.message);
    return reject('not_json', `value is not valid JSON: ${(error as Error).message}`);
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('invalid_envelope', 'envelope must be a JSON object');
  }
  const raw = parsed as Record<string, unknown>;
  const ids = {
    eventId: typeof raw.id === 'string' && UUID.test(raw.id) ? raw.id.toLowerCase() : undefined,
    eventType: typeof raw.type === 'string' && raw.type.length > 0 ? toSafeText(raw.type, 100) : undefined,
  };

  const envelope = instance(EventEnvelopeDto, raw);
  const envelopeErrors = validateSync(envelope, { forbidUnknownValues: true, validationError: { target: false, value: false } });
  const envelopeProblems = flatten(envelopeErrors);
  if (envelopeProblems.length === 0) {
    if (!isSafeText(envelope.source)) envelopeProblems.push('source: must be well-formed text without NUL characters');
    const occurredProblem = rfc3339Problem(envelope.occurred_at);
    if (occurredProblem) envelopeProblems.push(`occurred_at: ${occurredProblem}`);
  }
  if (envelopeProblems.length > 0) return reject('invalid_envelope', envelopeProblems.join('; '), ids);

  const versions = KNOWN_VERSIONS[envelope.type];
  if (!versions) return reject('unknown_type', `unknown event type "${envelope.type}"`, ids);
  if (!versions.includes(envelope.version)) {
    return reject('unknown_version', `unknown version ${envelope.version} of ${envelope.type} (known: ${versions.join(', ')})`, ids);
  }

  const base: DecodedBase = {
    id: envelope.id.toLowerCase(),
    version: envelope.version,
    source: envelope.source,
    occurred_at: envelope.occurred_at.toUpperCase(),
  };

  if (envelope.type === CHAT_MESSAGE_RECORDED) {
    const usage = envelope.data.usage;
    const problems = validateData(ChatMessageRecordedV1Dto, {
      ...envelope.data,
      ...(isPlainObject(usage) ? { usage: instance(TokenUsageDto, usage) } : {}),
    });
    const data = envelope.data as unknown as ChatMessageRecordedV1;
    if (problems.length === 0 && (typeof data.usage !== 'object' || Array.isArray(data.usage))) {
      problems.push('data.usage: must be a JSON object');
    }
    if (problems.length === 0) {
      if (!USER_ID.test(data.user_id)) problems.push('data.user_id: must be 1 to 64 printable ASCII characters without spaces');
      if (data.model !== undefined && data.model !== null && !isSafeText(data.model)) {
        problems.push('data.model: must be well-formed text without NUL characters');
      }
      if (data.tokens_delta !== data.usage.total_tokens) {
        problems.push(`data.tokens_delta: must equal data.usage.total_tokens (${data.usage.total_tokens})`);
      }
    }
    if (problems.length > 0) return reject('invalid_data', problems.join('; '), ids);
    return {
      ok: true,
      event: {
        ...base,
        type: CHAT_MESSAGE_RECORDED,
        data: {
          user_id: data.user_id,
          conversation_id: data.conversation_id.toLowerCase(),
          message_id: data.message_id.toLowerCase(),
          role: data.role,
          model: data.model ?? null,
          usage: {
            prompt_tokens: data.usage.prompt_tokens,
            completion_tokens: data.usage.completion_tokens,
            cached_tokens: data.usage.cached_tokens,
            reasoning_tokens: data.usage.reasoning_tokens,
            total_tokens: data.usage.total_tokens,
          },
          tokens_delta: data.tokens_delta,
        },
      },
    };
  }

  const problems = validateData(TokensAdjustedV1Dto, envelope.data);
  const data = envelope.data as unknown as TokensAdjustedV1;
  if (problems.length === 0) {
    if (!USER_ID.test(data.user_id)) problems.push('data.user_id: must be 1 to 64 printable ASCII characters without spaces');
    const triggeredProblem = rfc3339Problem(data.triggered_at);
    if (triggeredProblem) problems.push(`data.triggered_at: ${triggeredProblem}`);
  }
  if (problems.length > 0) return reject('invalid_data', problems.join('; '), ids);
  return {
    ok: true,
    event: {
      ...base,
      type: TOKENS_ADJUSTED,
      data: {
        user_id: data.user_id,
        conversation_id: data.conversation_id ? data.conversation_id.toLowerCase() : null,
        message_id: data.message_id ? data.message_id.toLowerCase() : null,
        tokens_delta: data.tokens_delta,
        reason: data.reason,
        triggered_at: data.triggered_at.toUpperCase(),
      },
    },
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

function validateData(schema: new () => object, data: Record<string, unknown>): string[] {
  const errors = validateSync(instance(schema, data), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return flatten(errors, 'data.');
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

/** Undefined when `value` is an RFC 3339 date-time with zone naming a real instant; else the problem. */
export function rfc3339Problem(value: string): string | undefined {
  const m = RFC3339.exec(value);
  if (!m) return 'must be an RFC 3339 date-time with a zone, e.g. 2026-11-23T10:00:00.123456Z';
  const [, y, mo, d, h, mi, s, , , sign, oh, om] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  if (!real || year < 1) return 'is not a real date and time';
  if (sign && (Number(oh) > 15 || Number(om) > 59)) return 'has an impossible zone offset';
  return undefined;
}

function isSafeText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** Error texts may quote input (JSON.parse does): make them storable in a text column. */
export function toSafeText(value: string, maxLength = MAX_ERROR_LENGTH): string {
  const cut = value.length > maxLength ? `${value.slice(0, maxLength - 1)}…` : value;
  // Replacing after cutting also repairs a surrogate pair the cut may have split.
  // eslint-disable-next-line no-control-regex
  return cut.replace(/\u0000/g, '\ufffd').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd');
}

function reject(
  reason: RejectionReason,
  error: string,
  ids: { eventId?: string; eventType?: string } = {},
): DecodeResult {
  return {
    ok: false,
    reason,
    error: toSafeText(error),
    ...(ids.eventId ? { eventId: ids.eventId } : {}),
    ...(ids.eventType ? { eventType: ids.eventType } : {}),
  };
}
