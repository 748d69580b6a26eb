import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { TASK_KIND_PATTERN } from '@chat-ledger/contracts';
import { USER_ID_PATTERN } from '@chat-ledger/platform';

export const OPEN_STATUSES = ['pending', 'running'] as const;
export const RUNNING_SORTS = ['-started_at', 'started_at', '-last_update_at', 'progress'] as const;
export type RunningSort = (typeof RUNNING_SORTS)[number];

export class ListRunningTasksQueryDto {
  @ApiPropertyOptional({ example: 'pending,running', description: 'comma-separated open statuses (default both)' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(OPEN_STATUSES as unknown as string[], { each: true, message: 'must be pending and/or running' })
  status: Array<(typeof OPEN_STATUSES)[number]> = ['pending', 'running'];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(TASK_KIND_PATTERN, { message: 'must be a lower-case slug such as title_generation' })
  kind?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' })
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @ApiPropertyOptional({ description: 'true: only stalled tasks (no heartbeat for TASK_STALL_AFTER); false: only live ones' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  stalled?: boolean;

  @ApiPropertyOptional({ enum: RUNNING_SORTS, default: '-started_at' })
  @IsOptional()
  @IsIn(RUNNING_SORTS as unknown as string[], { message: `must be one of ${RUNNING_SORTS.join(', ')}` })
  sort: RunningSort = '-started_at';

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  cursor?: string;
}
