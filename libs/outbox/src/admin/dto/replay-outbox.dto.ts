import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { USER_ID_PATTERN } from '@chat-ledger/platform';
import { IsTimestamp, USER_ID_MESSAGE } from './list-outbox.query.dto';

export const MAX_REPLAY_EVENT_TYPES = 50;
export const MAX_REPLAY_USER_IDS = 1_000;

/**
 * Which retained rows to publish again (all given conditions must hold; no condition = every row still
 * retained). Ranges are inclusive.
 */
export class ReplayOutboxDto {
  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  from_id?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  to_id?: number;

  @ApiPropertyOptional({ description: 'created at or after (RFC 3339)' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'created at or before (RFC 3339)' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_REPLAY_EVENT_TYPES, description: 'omit to match every type' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'must not be empty (omit it to match every type)' })
  @ArrayMaxSize(MAX_REPLAY_EVENT_TYPES)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  event_types?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: MAX_REPLAY_USER_IDS, description: 'omit to match every user' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'must not be empty (omit it to match every user)' })
  @ArrayMaxSize(MAX_REPLAY_USER_IDS)
  @IsString({ each: true })
  @Matches(USER_ID_PATTERN, { each: true, message: `each value ${USER_ID_MESSAGE}` })
  user_ids?: string[];

  @ApiPropertyOptional({ default: false, description: 'only count the rows that would be replayed' })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}
