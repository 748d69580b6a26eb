import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { KNOWN_ROLES } from '@chat-ledger/contracts';
import type { UsageSums } from '../usage-sums';
import { INTERVALS, SUMMARY_GROUPS, type SummaryGroupBy } from './usage-queries.dto';

const COST_MICROS_DOC =
  "integer micro-units of the deployment's currency (currency); null when there are events and none of them is priced (never counted as free)";
const CURRENCY = { example: 'USD', description: 'ISO 4217 code of every cost (LEDGER_CURRENCY)' };
const ORG_SCOPE_DOC = "the organisation the view reads: the org_id filter, or a usage:read_org reader's own organisation; null: any";
const TENANT_DOC = {
  org_id: 'the organisation (null: no tenant, e.g. every event of an older contract version)',
  project_id: 'the project inside the organisation',
  api_key_id: 'the API key the caller reported',
};
const USER_SCOPE_DOC = 'whose usage: the user asked for, your own, or null for everybody (scope usage:read_all without user_id)';

/** Token counts of an event or a sum of them. */
export class TokenUsageResponse {
  @ApiProperty({ type: 'integer' })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer' })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer' })
  cached_tokens!: number;

  @ApiProperty({ type: 'integer' })
  cache_write_tokens!: number;

  @ApiProperty({ type: 'integer' })
  reasoning_tokens!: number;

  @ApiProperty({ type: 'integer' })
  total_tokens!: number;
}

/** The sums every aggregate view reports, per group, bucket or in total. */
export class UsageSumsResponse implements UsageSums {
  @ApiProperty({ type: 'integer', description: 'events: messages and adjustments (cost corrections are not events)' })
  events_count!: number;

  @ApiProperty({ type: 'integer' })
  messages_counted!: number;

  @ApiProperty({ type: 'integer' })
  adjustments_count!: number;

  @ApiProperty({ type: 'integer', description: 'signed sum of tokens_delta (messages and adjustments): what the balances count' })
  tokens_delta!: number;

  @ApiProperty({ type: 'integer' })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer' })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer' })
  cached_tokens!: number;

  @ApiProperty({ type: 'integer' })
  cache_write_tokens!: number;

  @ApiProperty({ type: 'integer' })
  reasoning_tokens!: number;

  @ApiProperty({ type: 'integer' })
  total_tokens!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: COST_MICROS_DOC })
  cost_micros!: number | null;

  @ApiProperty({ type: 'integer', description: 'events counted without a price (their model had none when they were applied)' })
  unpriced_events!: number;
}

/** A balance (a user's, a conversation's): zeros and nulls before any event. */
export class BalanceResponse {
  @ApiProperty({ type: 'integer', description: 'signed sum of every tokens_delta' })
  tokens_total!: number;

  @ApiProperty({ type: 'integer' })
  messages_counted!: number;

  @ApiProperty({ type: 'integer' })
  adjustments_count!: number;

  @ApiProperty({ type: 'integer', description: 'signed sum of the adjustments' })
  adjustments_total!: number;

  @ApiProperty({ type: 'integer' })
  events_count!: number;

  @ApiProperty({ type: TokenUsageResponse })
  usage!: TokenUsageResponse;

  @ApiProperty({ type: 'integer', nullable: true, description: COST_MICROS_DOC })
  cost_micros!: number | null;

  @ApiProperty({ type: 'integer' })
  unpriced_events!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  first_activity_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_activity_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the balance last changed; null before any event' })
  updated_at!: string | null;
}

export class UserUsageResponse extends BalanceResponse {
  @ApiProperty()
  user_id!: string;

  @ApiProperty({ type: String, nullable: true, description: "the organisation the user's events name (null: none yet, or no tenant)" })
  org_id!: string | null;

  @ApiProperty(CURRENCY)
  currency!: string;
}

export class ReasonSumsResponse extends UsageSumsResponse {
  @ApiProperty({ example: 'message', description: "'message' for messages, the adjustment's reason otherwise" })
  reason!: string;
}

export class ModelSumsResponse extends UsageSumsResponse {
  @ApiProperty({ type: String, nullable: true, description: 'null: events without a model (e.g. adjustments without one)' })
  model!: string | null;
}

export class ConversationUsageResponse extends BalanceResponse {
  @ApiProperty({ format: 'uuid' })
  conversation_id!: string;

  @ApiProperty()
  user_id!: string;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.org_id })
  org_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.project_id })
  project_id!: string | null;

  @ApiProperty(CURRENCY)
  currency!: string;

  @ApiProperty({ type: [ReasonSumsResponse], description: 'all time, most tokens first' })
  by_reason!: ReasonSumsResponse[];

  @ApiProperty({ type: [ModelSumsResponse], description: 'all time, most tokens first' })
  by_model!: ModelSumsResponse[];
}

const ENTRY_TYPES = ['chat.message.recorded', 'ledger.tokens.adjusted', 'task.completed', 'ledger.cost.corrected', 'ledger.usage.upserted'] as const;

/** One journal entry: an applied event, or a cost correction of one. */
export class UsageEntryResponse {
  @ApiProperty({ format: 'uuid' })
  event_id!: string;

  @ApiProperty({
    enum: ENTRY_TYPES,
    enumName: 'EntryType',
    description:
      'ledger.cost.corrected: a reprice correcting the cost of corrects_event_id; ledger.usage.upserted: a revision of a usage record (reason usage_record), counting the difference to the revision counted before it, so its token counts may be negative',
  })
  event_type!: string;

  @ApiProperty()
  user_id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  conversation_id!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  message_id!: string | null;

  @ApiProperty({ enum: KNOWN_ROLES, enumName: 'MessageRole', nullable: true })
  role!: string | null;

  @ApiProperty({ type: String, nullable: true })
  model!: string | null;

  @ApiProperty({ example: 'message' })
  reason!: string;

  @ApiProperty({ type: 'integer' })
  tokens_delta!: number;

  @ApiProperty({ type: TokenUsageResponse })
  usage!: TokenUsageResponse;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unpriced; a correction carries the difference it makes to the event it corrects' })
  cost_micros!: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'effective_from of the price version it was priced with' })
  priced_with!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  corrects_event_id!: string | null;

  @ApiProperty({ type: String, nullable: true })
  channel!: string | null;

  @ApiProperty({ type: String, nullable: true })
  operation!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the task whose usage this is (task.completed)' })
  task_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the task's kind" })
  task_kind!: string | null;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.org_id })
  org_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.project_id })
  project_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.api_key_id })
  api_key_id!: string | null;

  @ApiProperty({ format: 'date-time', description: 'when the producer says it happened' })
  occurred_at!: string;

  @ApiProperty({ format: 'date-time', description: 'when the tokens count (messages: occurred_at; adjustments: triggered_at)' })
  effective_at!: string;

  @ApiProperty({ format: 'date-time', description: 'when the ledger applied it' })
  applied_at!: string;

  @ApiProperty({ example: 'chat-gateway', description: "the envelope's source" })
  source!: string;
}

export class UsageEntriesPage {
  @ApiProperty(CURRENCY)
  currency!: string;

  @ApiProperty({ type: [UsageEntryResponse], description: 'newest first' })
  list!: UsageEntryResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  next_cursor!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'the journal lists every entry with effective_at at or after this time; older ones were folded into the totals by journal retention ' +
      '(JOURNAL_RETENTION) and are not listed. null: nothing was folded, the list is complete',
  })
  complete_from!: string | null;
}

/** A group of a summary: the sums, and the key of the grouping (one of the optional fields, by group_by). */
export class UsageSummaryGroup extends UsageSumsResponse {
  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=model' })
  model?: string | null;

  @ApiPropertyOptional({ description: 'group_by=reason' })
  reason?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'group_by=conversation (null: events without a conversation)' })
  conversation_id?: string | null;

  @ApiPropertyOptional({ description: 'group_by=user' })
  user_id?: string;

  @ApiPropertyOptional({ description: 'group_by=source' })
  source?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=channel' })
  channel?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=operation' })
  operation?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=task_kind (null: usage outside tasks)' })
  task_kind?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=org (null: usage of no tenant)' })
  org_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=project (null: usage outside projects)' })
  project_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=api_key (null: usage without a reported API key)' })
  api_key_id?: string | null;

  @ApiPropertyOptional({ format: 'date', description: 'group_by=day: the local date in tz (days without events are left out)' })
  day?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'group_by=day: the start of the local day' })
  start?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'group_by=day: the end of the local day (exclusive)' })
  end?: string;
}

export class UsageSummaryResponse {
  @ApiProperty({ enum: SUMMARY_GROUPS })
  group_by!: SummaryGroupBy;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'as asked' })
  from!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'as asked' })
  to!: string | null;

  @ApiProperty({ type: String, nullable: true, description: USER_SCOPE_DOC })
  user_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: ORG_SCOPE_DOC })
  org_id!: string | null;

  @ApiProperty({ example: 'UTC' })
  tz!: string;

  @ApiProperty(CURRENCY)
  currency!: string;

  @ApiProperty({ type: [UsageSummaryGroup], description: 'most tokens first (by day: oldest first)' })
  groups!: UsageSummaryGroup[];

  @ApiProperty({ type: UsageSumsResponse })
  totals!: UsageSumsResponse;
}

/** A bucket of a local interval, clipped to [from, to). */
export class UsageBucket extends UsageSumsResponse {
  @ApiProperty({ format: 'date-time' })
  start!: string;

  @ApiProperty({ format: 'date-time', description: 'exclusive' })
  end!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-29T00:00:00+01:00', description: 'start of the local interval, with its UTC offset' })
  local_start!: string;
}

export class UsageTimelineResponse {
  @ApiProperty({ enum: INTERVALS })
  interval!: (typeof INTERVALS)[number];

  @ApiProperty({ example: 'Europe/Berlin' })
  tz!: string;

  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({ type: String, nullable: true, description: USER_SCOPE_DOC })
  user_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: ORG_SCOPE_DOC })
  org_id!: string | null;

  @ApiProperty(CURRENCY)
  currency!: string;

  @ApiProperty({ type: [UsageBucket], description: 'every bucket of the range, empty ones included, oldest first' })
  buckets!: UsageBucket[];

  @ApiProperty({ type: UsageSumsResponse })
  totals!: UsageSumsResponse;
}

export class UsageDay extends UsageSumsResponse {
  @ApiProperty({ format: 'date', description: 'the local date in tz' })
  date!: string;

  @ApiProperty({ format: 'date-time' })
  start!: string;

  @ApiProperty({ format: 'date-time', description: 'exclusive' })
  end!: string;
}

export class DailyUsageResponse {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 366 })
  days!: number;

  @ApiProperty({ example: 'UTC' })
  tz!: string;

  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({ type: String, nullable: true, description: USER_SCOPE_DOC })
  user_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: ORG_SCOPE_DOC })
  org_id!: string | null;

  @ApiProperty(CURRENCY)
  currency!: string;

  @ApiProperty({ type: [UsageDay], description: 'every day, oldest first, today last' })
  list!: UsageDay[];

  @ApiProperty({ type: UsageSumsResponse })
  totals!: UsageSumsResponse;
}

export class UsageSession {
  @ApiProperty({ format: 'uuid' })
  conversation_id!: string;

  @ApiProperty()
  user_id!: string;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.org_id })
  org_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: TENANT_DOC.project_id })
  project_id!: string | null;

  @ApiProperty({ type: 'integer' })
  tokens_total!: number;

  @ApiProperty({ type: 'integer' })
  messages_counted!: number;

  @ApiProperty({ type: 'integer' })
  adjustments_total!: number;

  @ApiProperty({ type: TokenUsageResponse })
  usage!: TokenUsageResponse;

  @ApiProperty({ type: 'integer', nullable: true, description: COST_MICROS_DOC })
  cost_micros!: number | null;

  @ApiProperty({ type: 'integer' })
  unpriced_events!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  first_activity_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_activity_at!: string | null;
}

export class UsageSessionsPage {
  @ApiProperty({ type: [UsageSession], description: 'most recent activity first' })
  list!: UsageSession[];

  @ApiProperty({ type: 'integer' })
  limit!: number;

  @ApiProperty({ type: 'integer' })
  offset!: number;

  @ApiProperty({ type: 'integer', description: 'conversations in scope' })
  total!: number;

  @ApiProperty()
  has_more!: boolean;
}
