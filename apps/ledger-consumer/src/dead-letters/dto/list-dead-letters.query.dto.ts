import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

export class ListDeadLettersQueryDto {
  @ApiPropertyOptional({ description: 'only this reason (not_json, invalid_data, unknown_type, rejected_by_database, …)' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,31}$/, { message: 'must be a reason code such as invalid_data' })
  reason?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(200)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}
