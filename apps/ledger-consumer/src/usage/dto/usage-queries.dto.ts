import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { ADJUSTMENT_REASON_PATTERN, IsChannel, IsOperation, TASK_KIND_PATTERN } from '@chat-ledger/contracts';
import { IsRfc3339, IsTenantIdParam, IsTimeZoneName, IsUserId, QueryInt } from './query-validators';

const USER_ID_DOC = 'whose usage; default: your own (with scope usage:read_all: everybody)';
const FROM_DOC = 'inclusive lower bound, RFC 3339 with zone';
const TO_DOC = 'exclusive upper bound, RFC 3339 with zone';
const ORG_DOC = 'only this organisation (a usage:read_org reader: its own, which it reads without naming it)';
const TZ_DOC = 'IANA time zone for day/week/month boundaries (default UTC)';

/** Filters every usage view accepts: all given ones must hold. */
export class UsageFiltersDto {
  @ApiPropertyOptional({ description: 'only this model (as the events name it)' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  model?: string;

  @ApiPropertyOptional({ description: "only this reason: 'message', 'usage_record' or an adjustment reason such as refund" })
  @IsOptional()
  @IsString()
  @Matches(ADJUSTMENT_REASON_PATTERN, { message: 'must be a lower-case slug such as message or refund' })
  reason?: string;

  @ApiPropertyOptional({
    description: "only events of this producer (the envelope's source, e.g. chat-gateway; for usage records the system that reported them, e.g. agents)",
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  source?: string;

  @ApiPropertyOptional({ description: 'only this channel (web, mobile, api, …)' })
  @IsOptional()
  @IsString()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({ description: 'only this operation (chat, title_generation, summarisation, agent_step, …)' })
  @IsOptional()
  @IsString()
  @IsOperation()
  operation?: string;

  @ApiPropertyOptional({ description: 'only the usage of this task (task.completed and its usage records)' })
  @IsOptional()
  @IsUUID('all')
  task_id?: string;

  @ApiPropertyOptional({ description: 'only tasks of this kind (title_generation, summarisation, agent_run, indexing, …)' })
  @IsOptional()
  @IsString()
  @Matches(TASK_KIND_PATTERN, { message: 'must be a lower-case slug such as title_generation' })
  task_kind?: string;

  @ApiPropertyOptional({ description: ORG_DOC })
  @IsOptional()
  @IsString()
  @IsTenantIdParam()
  org_id?: string;

  @ApiPropertyOptional({ description: 'only this project' })
  @IsOptional()
  @IsString()
  @IsTenantIdParam()
  project_id?: string;

  @ApiPropertyOptional({ description: 'only usage through this API key' })
  @IsOptional()
  @IsString()
  @IsTenantIdParam()
  api_key_id?: string;
}

export class EntriesQueryDto extends UsageFiltersDto {
  @ApiPropertyOptional({ description: USER_ID_DOC })
  @IsOptional()
  @IsString()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiPropertyOptional({ description: FROM_DOC, example: '2026-03-01T00:00:00Z' })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  from?: string;

  @ApiPropertyOptional({ description: TO_DOC })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  to?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

export const SUMMARY_GROUPS = [
  'model',
  'reason',
  'conversation',
  'user',
  'day',
  'source',
  'channel',
  'operation',
  'task_kind',
  'org',
  'project',
  'api_key',
] as const;
export type SummaryGroupBy = (typeof SUMMARY_GROUPS)[number];

export class SummaryQueryDto extends UsageFiltersDto {
  @ApiPropertyOptional({ enum: SUMMARY_GROUPS, default: 'model' })
  @IsOptional()
  @IsIn(SUMMARY_GROUPS as unknown as string[])
  group_by: SummaryGroupBy = 'model';

  @ApiPropertyOptional({ description: FROM_DOC })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  from?: string;

  @ApiPropertyOptional({ description: TO_DOC })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  to?: string;

  @ApiPropertyOptional({ description: USER_ID_DOC })
  @IsOptional()
  @IsString()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ description: `${TZ_DOC}; used by group_by=day`, default: 'UTC' })
  @IsOptional()
  @IsString()
  @IsTimeZoneName()
  tz: string = 'UTC';
}

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;

export class TimelineQueryDto extends UsageFiltersDto {
  @ApiPropertyOptional({ enum: INTERVALS, default: 'day' })
  @IsOptional()
  @IsIn(INTERVALS as unknown as string[])
  interval: (typeof INTERVALS)[number] = 'day';

  @ApiPropertyOptional({ description: `${FROM_DOC}; default: to minus 24 hours / 30 days / 12 weeks / 12 months` })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  from?: string;

  @ApiPropertyOptional({ description: `${TO_DOC}; default: now` })
  @IsOptional()
  @IsString()
  @IsRfc3339()
  to?: string;

  @ApiPropertyOptional({ description: USER_ID_DOC })
  @IsOptional()
  @IsString()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ description: TZ_DOC, default: 'UTC', example: 'Europe/Berlin' })
  @IsOptional()
  @IsString()
  @IsTimeZoneName()
  tz: string = 'UTC';
}

export class DailyQueryDto extends UsageFiltersDto {
  @ApiPropertyOptional({ default: 7, minimum: 1, maximum: 366, description: 'the last N local days, today included' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(366)
  days: number = 7;

  @ApiPropertyOptional({ description: USER_ID_DOC })
  @IsOptional()
  @IsString()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ description: TZ_DOC, default: 'UTC' })
  @IsOptional()
  @IsString()
  @IsTimeZoneName()
  tz: string = 'UTC';
}

export class SessionsQueryDto {
  @ApiPropertyOptional({ description: USER_ID_DOC })
  @IsOptional()
  @IsString()
  @IsUserId()
  user_id?: string;

  @ApiPropertyOptional({ description: `${ORG_DOC}: conversations of this organisation` })
  @IsOptional()
  @IsString()
  @IsTenantIdParam()
  org_id?: string;

  @ApiPropertyOptional({ description: 'only conversations of this project' })
  @IsOptional()
  @IsString()
  @IsTenantIdParam()
  project_id?: string;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset: number = 0;
}
