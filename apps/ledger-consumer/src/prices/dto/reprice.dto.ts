import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { IsRfc3339 } from '../../usage/dto/query-validators';

/** Which applied events to price again with the current price book: tokens spent in [from, to). */
export class RepriceDto {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'inclusive, RFC 3339 with a zone' })
  @IsString()
  @IsRfc3339()
  from!: string;

  @ApiProperty({ example: '2026-12-01T00:00:00Z', description: 'exclusive, RFC 3339 with a zone' })
  @IsString()
  @IsRfc3339()
  to!: string;

  @ApiPropertyOptional({ type: [String], description: 'only these models (each must have prices); default: every model' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  models?: string[];

  @ApiPropertyOptional({ default: false, description: 'true: only report what would change' })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}
