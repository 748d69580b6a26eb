import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

/** Query strings arrive as strings; only canonical integers become numbers, anything else fails validation. */
export const QueryInt = () => Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value));

export class ListConversationsQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional() @QueryInt() @IsInt() @Min(1) @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional() @QueryInt() @IsInt() @Min(1) @Max(100)
  page_size: number = 20;

  @ApiPropertyOptional({ enum: ['active', 'archived'], default: 'active' })
  @IsOptional() @IsIn(['active', 'archived'])
  status: 'active' | 'archived' = 'active';
}
