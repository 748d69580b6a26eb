import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { USER_ID_PATTERN } from '@chat-ledger/platform';

export const ANOMALY_KINDS = ['gap', 'reorder'] as const;

export class ListSequenceGapsQueryDto {
  @ApiPropertyOptional({ description: 'only this user' })
  @IsOptional()
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' })
  user_id?: string;

  @ApiPropertyOptional({ enum: ANOMALY_KINDS })
  @IsOptional()
  @IsIn(ANOMALY_KINDS as unknown as string[])
  kind?: (typeof ANOMALY_KINDS)[number];

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
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
