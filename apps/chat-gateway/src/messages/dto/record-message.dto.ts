import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { IsChannel, IsOperation, KNOWN_ROLES, MAX_ABS_TOKENS_DELTA, MessageRole } from '@chat-ledger/contracts';
import { IsSafeText } from '@chat-ledger/platform';
import { API_KEY_DOC, IsTenantIdField } from '../../tenants/dto/tenant-fields.dto';

const TokenCount = () => (target: object, key: string) => {
  IsInt({ message: 'must be a non-negative integer' })(target, key);
  Min(0)(target, key);
  Max(MAX_ABS_TOKENS_DELTA, { message: `must be at most ${MAX_ABS_TOKENS_DELTA}` })(target, key);
};

export class UsageDto {
  @ApiProperty({ minimum: 0, maximum: MAX_ABS_TOKENS_DELTA })
  @TokenCount()
  prompt_tokens!: number;

  @ApiProperty({ minimum: 0, maximum: MAX_ABS_TOKENS_DELTA })
  @TokenCount()
  completion_tokens!: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @TokenCount()
  cached_tokens?: number;

  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    description: "prompt tokens written to the provider's prompt cache (part of prompt_tokens, like cached_tokens)",
  })
  @IsOptional()
  @TokenCount()
  cache_write_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'part of completion_tokens' })
  @IsOptional()
  @TokenCount()
  reasoning_tokens?: number;

  @ApiPropertyOptional({ description: 'defaults to prompt_tokens + completion_tokens; must equal it when given' })
  @IsOptional()
  @TokenCount()
  total_tokens?: number;
}

export class RecordMessageDto {
  @ApiProperty({ enum: KNOWN_ROLES })
  @IsIn(KNOWN_ROLES as unknown as string[], { message: `must be one of ${KNOWN_ROLES.join(', ')}` })
  role!: MessageRole;

  @ApiProperty({ description: 'message text; size limit MESSAGE_MAX_BYTES (default 256 KiB)' })
  @IsString()
  @IsNotEmpty()
  @IsSafeText()
  content!: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'gpt-4o' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsSafeText()
  model?: string;

  @ApiPropertyOptional({ type: UsageDto, nullable: true, description: 'absent or null: the message counts 0 tokens' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsageDto)
  usage?: UsageDto | null;

  @ApiPropertyOptional({ example: 'web', description: 'where the message came from: a lower-case slug (web, mobile, api, …)' })
  @IsOptional()
  @IsString()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({ example: 'chat', description: 'what kind of work: a lower-case slug (chat, title_generation, agent_step, …)' })
  @IsOptional()
  @IsString()
  @IsOperation()
  operation?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 10_000_000,
    description:
      "a user message opens a round: the tokens its answer may spend, reserved against the user's budget (default: the budget's round_reservation_tokens)",
  })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(10_000_000)
  max_tokens?: number;

  @ApiPropertyOptional({ maxLength: 64, example: 'key_live_42', description: API_KEY_DOC })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  api_key_id?: string;
}

export class ChatMessageDto extends RecordMessageDto {
  @ApiPropertyOptional({ description: 'absent: a new conversation is created' })
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    description: "the project of the new conversation (default: the token's project_id claim); with conversation_id it must be that conversation's",
  })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  project_id?: string;
}
