import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { EventEnvelope, IsMessageRole, MessageRole } from '../envelope/event-envelope';
import { MAX_ABS_TOKENS_DELTA } from '../topics';

export const CHAT_MESSAGE_RECORDED = 'chat.message.recorded' as const;
export const CHAT_MESSAGE_RECORDED_VERSION = 1;

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
}

export interface ChatMessageRecordedV1 {
  user_id: string;
  conversation_id: string;
  message_id: string;
  role: MessageRole;
  model: string | null;
  usage: TokenUsage;
  tokens_delta: number;
}

export type ChatMessageRecordedEvent = EventEnvelope<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV1>;

export class TokenUsageDto implements TokenUsage {
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) prompt_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) completion_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) cached_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) reasoning_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) total_tokens!: number;
}

export class ChatMessageRecordedV1Dto implements ChatMessageRecordedV1 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsUUID('all') conversation_id!: string;
  @IsUUID('all') message_id!: string;
  @IsMessageRole() role!: MessageRole;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;

  @IsDefined()
  @ValidateNested()
  @Type(() => TokenUsageDto)
  usage!: TokenUsageDto;

  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
}
