import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { ADJUSTMENT_REASON_PATTERN, IsChannel, IsOperation, MAX_ABS_TOKENS_DELTA } from '@chat-ledger/contracts';
import { IsSafeText, USER_ID_PATTERN } from '@chat-ledger/platform';
import { ServiceTenantDto } from '../../tenants/dto/tenant-fields.dto';

export class CreateTokenAdjustmentDto extends ServiceTenantDto {
  @ApiProperty({ maxLength: 64, description: "whose tokens: a user of the token's organisation (another organisation's: 403 TENANT_MISMATCH)" })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' })
  user_id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiPropertyOptional({ description: 'attaches the adjustment to one message (its conversation is implied)' })
  @IsOptional()
  @IsUUID('all')
  message_id?: string;

  @ApiProperty({ description: 'signed token delta', minimum: -MAX_ABS_TOKENS_DELTA, maximum: MAX_ABS_TOKENS_DELTA })
  @IsInt({ message: 'must be an integer' })
  @Min(-MAX_ABS_TOKENS_DELTA)
  @Max(MAX_ABS_TOKENS_DELTA)
  tokens_delta!: number;

  @ApiProperty({ example: 'title_generation', description: 'lower-case slug: title_generation, summarisation, refund, correction, …' })
  @IsString()
  @Matches(ADJUSTMENT_REASON_PATTERN, { message: 'must be a lower-case slug such as title_generation' })
  reason!: string;

  @ApiPropertyOptional({
    example: 'gpt-4o-mini',
    description: 'the model whose tokens these are: the ledger prices them at its input price; without one the adjustment is unpriced',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsSafeText()
  model?: string;

  @ApiPropertyOptional({ example: 'api', description: 'where the usage came from: a lower-case slug (web, mobile, api, …)' })
  @IsOptional()
  @IsString()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({ example: 'title_generation', description: 'what kind of work: a lower-case slug' })
  @IsOptional()
  @IsString()
  @IsOperation()
  operation?: string;

  @ApiProperty({ example: '2026-11-23T10:00:00Z', description: 'RFC 3339 with a time zone' })
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(/(Z|[+-]\d{2}:\d{2})$/, { message: 'must carry a time zone (Z or ±hh:mm)' })
  triggered_at!: string;
}
