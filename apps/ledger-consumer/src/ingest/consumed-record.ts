import { createHash } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import {
  TASKS_USAGE_SOURCE,
  BUDGET_THRESHOLD_CROSSED,
  CHAT_MESSAGE_RECORDED,
  DecodedTokenEvent,
  DecodeResult,
  TASK_COMPLETED,
  TokenUsageV2,
  TOKENS_ADJUSTED,
  USAGE_UPSERTED,
  USER_ERASED,
} from '@chat-ledger/contracts';

/** One Kafka record as the ledger sees it: where it came from and its raw bytes. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Kafka offset (int64 as a decimal string). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** Kafka record timestamp, milliseconds since the epoch as a string (kafkajs). */
  timestamp?: string;
}

/** A row of ledger.entries, shaped for jsonb_to_recordset. */
export interface JournalRow {
  event_id: string;
  event_type: string;
  event_version: number;
  source: string;
  user_id: string;
  conversation_id: string | null;
  message_id: string | null;
  role: string | null;
  model: string | null;
  reason: string;
  tokens_delta: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  occurred_at: string;
  effective_at: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  /** Where the usage came from (optional dimensions of messages and adjustments). */
  channel: string | null;
  operation: string | null;
  /** The task whose work this was (task.completed), and its kind; null for chat rounds and plain adjustments. */
  task_id: string | null;
  task_kind: string | null;
  /** The tenant: organisation, project and API key (null: none; every event of an older contract version). */
  org_id: string | null;
  project_id: string | null;
  api_key_id: string | null;
  /** The producer's per-user sequence number, when it numbers its events. */
  user_seq: number | null;
  /** SHA-256 (hex) of the decoded event: two copies of one event id with another digest are a conflict. */
  payload_digest: string;
  /** Usage records only: the record (its source is the row's source) and the revision this row applies. */
  external_id?: string;
  revision?: number;
  /**
   * Usage records only, not stored: what the ledger had counted for the record before this row (the row's
   * token columns are the difference to it), so the row's cost is cost(base + row) - cost(base).
   */
  base_prompt_tokens?: number;
  base_completion_tokens?: number;
  base_cached_tokens?: number;
  base_cache_write_tokens?: number;
  base_reasoning_tokens?: number;
}

/**
 * A row of ledger.notices: a valid event on the topic that counts no tokens (e.g. a budget threshold crossed,
 * for notification services). Kept once by event id so its user's sequence number is accounted for and a
 * replay of it changes nothing, but never part of the journal or any total.
 */
export interface NoticeRow {
  event_id: string;
  event_type: string;
  event_version: number;
  source: string;
  user_id: string;
  occurred_at: string;
  data: unknown;
  user_seq: number | null;
  payload_digest: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

/** Event types the ledger keeps as notices, not in the journal. */
const NOTICE_TYPES = [BUDGET_THRESHOLD_CROSSED] as const;
type NoticeType = (typeof NOTICE_TYPES)[number];
type CountedEvent = Exclude<DecodedTokenEvent, { type: NoticeType | typeof USER_ERASED }>;

/**
 * A user.erased event: the ledger pseudonymises the user's rows when it applies it (erasure/ledger-erasure.repository.ts)
 * and keeps nothing of the event that names the user, not even its id: a replay of it erases again, which finds
 * nothing left to do.
 */
export interface ErasureRow {
  event_id: string;
  user_id: string;
  erasure_id: string;
  requested_at: string;
  /** Where the event was read: a replayed erasure only touches what lies before it on its partition. */
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

/** A row of ledger.dead_letters, shaped for jsonb_to_recordset (bytes as base64). */
export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: HeaderJson[];
  reason: string;
  error: string;
  event_id: string | null;
  event_type: string | null;
  kafka_timestamp: string | null;
}

/** Header keys and values as JSON: a string when the bytes are clean UTF-8 (no NUL), else base64. */
export type HeaderText = string | { base64: string };
export interface HeaderJson {
  key: HeaderText;
  value: HeaderText | null;
}

/** The reason code of journal rows of chat.message.recorded events. */
export const MESSAGE_REASON = 'message';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reason code of journal rows of task.completed events (the usage a task reported). */
export const TASK_REASON = 'task';
/** The reason code of journal rows of ledger.usage.upserted events. */
export const USAGE_RECORD_REASON = 'usage_record';

type Position = Pick<JournalRow, 'kafka_topic' | 'kafka_partition' | 'kafka_offset'>;
type Base = Pick<JournalRow, 'event_id' | 'event_type' | 'event_version' | 'source' | 'occurred_at' | 'user_seq' | 'payload_digest'>;
/** What a mapper says about an event; the rest of the row is its identity (Base) and where it was read (Position). */
type MappedFields = Omit<
  JournalRow,
  keyof Base | keyof Position | 'prompt_tokens' | 'completion_tokens' | 'cached_tokens' | 'cache_write_tokens' | 'reasoning_tokens' | 'total_tokens'
> & {
  /** The row's source when it is not the envelope's (a usage record's reporting system). */
  source?: string;
  usage: TokenUsageV2 | null;
};
type MapperOf<T extends CountedEvent['type']> = (event: Extract<CountedEvent, { type: T }>) => MappedFields;

/**
 * How each event type becomes a journal row. Exhaustive by type: a contract added to the registry does not
 * compile here until the ledger says how to count it. Bucketing time (`effective_at`): when the tokens were
 * spent — the envelope's occurred_at for a message (the gateway sets it to the message's created_at), and
 * data.triggered_at for an adjustment (the envelope time of an adjustment is when it was recorded, which
 * may be much later than the work it accounts for). A usage record's row names the reporting system as its
 * source (the record is (source, external_id)) and starts out as the revision's full usage; the apply
 * transaction rebases it on what the ledger counted for the record (ingest/usage-records.repository.ts).
 * Notice types (NOTICE_TYPES) are the only ones left out.
 *
 * Every field is named, no object spread: this runs for every event, and V8 builds spread objects on a slow path
 * (several microseconds per row here, more than all the rest of the mapping).
 */
const JOURNAL_MAPPERS: { [T in CountedEvent['type']]: MapperOf<T> } = {
  [CHAT_MESSAGE_RECORDED]: ({ data: d, occurred_at }) => ({
    user_id: d.user_id,
    conversation_id: d.conversation_id,
    message_id: d.message_id,
    role: d.role,
    model: d.model,
    reason: MESSAGE_REASON,
    tokens_delta: d.tokens_delta,
    usage: d.usage,
    channel: d.channel,
    operation: d.operation,
    task_id: null,
    task_kind: null,
    org_id: d.org_id,
    project_id: d.project_id,
    api_key_id: d.api_key_id,
    effective_at: occurred_at,
  }),
  [TOKENS_ADJUSTED]: ({ data: d }) => ({
    user_id: d.user_id,
    conversation_id: d.conversation_id,
    message_id: d.message_id,
    role: null,
    model: d.model,
    reason: d.reason,
    tokens_delta: d.tokens_delta,
    usage: null,
    channel: d.channel,
    operation: d.operation,
    task_id: null,
    task_kind: null,
    org_id: d.org_id,
    project_id: d.project_id,
    api_key_id: d.api_key_id,
    effective_at: d.triggered_at,
  }),
  // A task's usage counts when the task reports it, at completion; its kind is also its operation.
  [TASK_COMPLETED]: ({ data: d }) => ({
    user_id: d.user_id,
    conversation_id: d.conversation_id,
    message_id: null,
    role: null,
    model: d.model,
    reason: TASK_REASON,
    tokens_delta: d.tokens_delta,
    usage: d.usage,
    channel: null,
    operation: d.kind,
    task_id: d.task_id,
    task_kind: d.kind,
    org_id: d.org_id,
    project_id: d.project_id,
    api_key_id: d.api_key_id,
    effective_at: d.completed_at,
  }),
  [USAGE_UPSERTED]: ({ data: d, occurred_at }) => ({
    source: d.source,
    user_id: d.user_id,
    conversation_id: d.conversation_id,
    message_id: null,
    role: null,
    model: d.model,
    reason: USAGE_RECORD_REASON,
    tokens_delta: d.usage.total_tokens,
    usage: d.usage,
    channel: d.channel,
    operation: d.operation,
    // Usage synced for a task (/v1/usage-records/tasks/:task_id): the gateway checked the task and set the
    // operation to its kind.
    task_id: d.source === TASKS_USAGE_SOURCE && UUID.test(d.external_id) ? d.external_id.toLowerCase() : null,
    task_kind: d.source === TASKS_USAGE_SOURCE && UUID.test(d.external_id) ? d.operation : null,
    org_id: d.org_id,
    project_id: d.project_id,
    api_key_id: d.api_key_id,
    effective_at: occurred_at,
    external_id: d.external_id,
    revision: d.revision,
  }),
};

/** The journal row: the event's identity, what its mapper says (usage as six columns, 0 without) and where it was read. */
function journalRow(base: Base, f: MappedFields, position: Position): JournalRow {
  const row: JournalRow = {
    event_id: base.event_id,
    event_type: base.event_type,
    event_version: base.event_version,
    source: f.source ?? base.source,
    occurred_at: base.occurred_at,
    user_seq: base.user_seq,
    payload_digest: base.payload_digest,
    user_id: f.user_id,
    conversation_id: f.conversation_id,
    message_id: f.message_id,
    role: f.role,
    model: f.model,
    reason: f.reason,
    tokens_delta: f.tokens_delta,
    prompt_tokens: f.usage?.prompt_tokens ?? 0,
    completion_tokens: f.usage?.completion_tokens ?? 0,
    cached_tokens: f.usage?.cached_tokens ?? 0,
    cache_write_tokens: f.usage?.cache_write_tokens ?? 0,
    reasoning_tokens: f.usage?.reasoning_tokens ?? 0,
    total_tokens: f.usage?.total_tokens ?? 0,
    channel: f.channel,
    operation: f.operation,
    task_id: f.task_id,
    task_kind: f.task_kind,
    org_id: f.org_id,
    project_id: f.project_id,
    api_key_id: f.api_key_id,
    effective_at: f.effective_at,
    kafka_topic: position.kafka_topic,
    kafka_partition: position.kafka_partition,
    kafka_offset: position.kafka_offset,
  };
  if (f.external_id !== undefined) row.external_id = f.external_id;
  if (f.revision !== undefined) row.revision = f.revision;
  return row;
}

/**
 * The digest of what an event says, not of its bytes: the decoded, normalised event (fixed key order), so
 * the same event re-serialised by another producer or a replay has the same digest, and any change to a
 * field the ledger reads does not.
 */
export function eventDigest(event: DecodedTokenEvent): string {
  const { id, type, version, source, occurred_at, user_seq, data } = event;
  return createHash('sha256')
    .update(JSON.stringify([id, type, version, source, occurred_at, user_seq, data]))
    .digest('hex');
}

function isNotice(event: DecodedTokenEvent): event is Extract<DecodedTokenEvent, { type: NoticeType }> {
  return (NOTICE_TYPES as readonly string[]).includes(event.type);
}

/** What a decoded event becomes: a journal row (it counts), or a notice (it counts nothing). */
export function toLedgerRow(event: DecodedTokenEvent, record: ConsumedRecord): { journal: JournalRow } | { notice: NoticeRow } | { erasure: ErasureRow } {
  const position = { kafka_topic: record.topic, kafka_partition: record.partition, kafka_offset: record.offset };
  const base = {
    event_id: event.id,
    event_type: event.type,
    event_version: event.version,
    source: event.source,
    occurred_at: event.occurred_at,
    user_seq: event.user_seq,
    payload_digest: eventDigest(event),
  };
  if (isNotice(event)) return { notice: { ...base, user_id: event.data.user_id, data: event.data, ...position } };
  if (event.type === USER_ERASED) return { erasure: { event_id: event.id, ...event.data, ...position } };
  return { journal: journalRow(base, (JOURNAL_MAPPERS[event.type] as MapperOf<typeof event.type>)(event as never), position) };
}

/** Journal row of a decoded event that counts tokens (a notice has none). */
export function toJournalRow(event: DecodedTokenEvent, record: ConsumedRecord): JournalRow {
  const row = toLedgerRow(event, record);
  if (!('journal' in row)) throw new Error(`${event.type} counts no tokens: it has no journal row`);
  return row.journal;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function headerText(bytes: Buffer | string): HeaderText {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  try {
    const text = utf8.decode(buf);
    if (!text.includes('\u0000')) return text;
  } catch {
    // not UTF-8
  }
  return { base64: buf.toString('base64') };
}

export function headersToJson(headers: IHeaders | undefined): HeaderJson[] {
  const out: HeaderJson[] = [];
  for (const [key, raw] of Object.entries(headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) out.push({ key: headerText(key), value: value === undefined || value === null ? null : headerText(value) });
  }
  return out;
}

/** The record's Kafka timestamp as timestamptz, or null (with why) when PostgreSQL could not store it. */
function kafkaTimestamp(ms: string | undefined): { value: string | null; note?: string } {
  if (!ms) return { value: null };
  const date = /^-?\d{1,16}$/.test(ms) ? new Date(Number(ms)) : new Date(Number.NaN);
  // PostgreSQL timestamps end at year 294276, but ISO strings past 9999 read "+010000-…", which it refuses.
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 || date.getUTCFullYear() < 1) {
    return { value: null, note: `Kafka timestamp ${ms.slice(0, 20)} is outside years 1 to 9999 and was not stored` };
  }
  return { value: date.toISOString() };
}

export function toDeadLetterRow(record: ConsumedRecord, rejection: Extract<DecodeResult, { ok: false }>): DeadLetterRow {
  const timestamp = kafkaTimestamp(record.timestamp);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key ? record.key.toString('base64') : null,
    value: record.value ? record.value.toString('base64') : null,
    headers: headersToJson(record.headers),
    reason: rejection.reason,
    error: timestamp.note ? `${rejection.error}; ${timestamp.note}` : rejection.error,
    event_id: rejection.eventId ?? null,
    event_type: rejection.eventType ?? null,
    kafka_timestamp: timestamp.value,
  };
}
