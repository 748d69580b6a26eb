import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { USER_ID_PATTERN } from '@chat-ledger/platform';

export const OUTBOX_STATUSES = ['pending', 'published', 'dead', 'skipped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_SORTS = ['id', '-id'] as const;
export type OutboxSort = (typeof OUTBOX_SORTS)[number];

/** Query strings arrive as strings; only canonical integers become numbers, anything else fails validation. */
const QueryInt = () => Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value));

/** RFC 3339 date-time with a time zone, e.g. 2026-11-23T10:00:00Z. */
export const IsTimestamp = (): PropertyDecorator => (target, key) => {
  IsString()(target, key);
  IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be an RFC 3339 timestamp such as 2026-11-23T10:00:00Z' })(target, key);
  Matches(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, { message: 'must be an RFC 3339 timestamp with a time zone (Z or ±hh:mm)' })(target, key);
};

export const USER_ID_MESSAGE = 'must be 1 to 64 printable ASCII characters without spaces';

export class ListOutboxQueryDto {
  @ApiPropertyOptional({ enum: OUTBOX_STATUSES })
  @IsOptional()
  @IsIn(OUTBOX_STATUSES as unknown as string[])
  status?: OutboxStatus;

  @ApiPropertyOptional({ example: 'chat.message.recorded' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  event_type?: string;

  @ApiPropertyOptional({ description: 'the partition key (user id)' })
  @IsOptional()
  @IsString()
  @Matches(USER_ID_PATTERN, { message: USER_ID_MESSAGE })
  user_id?: string;

  @ApiPropertyOptional({ description: 'created at or after (RFC 3339)' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'created at or before (RFC 3339)' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ description: 'true: only pending rows held back behind a dead or retrying row of their user' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  held?: boolean;

  @ApiPropertyOptional({ enum: OUTBOX_SORTS, default: '-id', description: '-id = newest first' })
  @IsOptional()
  @IsIn(OUTBOX_SORTS as unknown as string[])
  sort: OutboxSort = '-id';

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @QueryInt()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}
