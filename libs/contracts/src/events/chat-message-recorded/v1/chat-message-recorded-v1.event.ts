import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope, IsMessageRole, MessageRole } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { isSafeText, USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { NO_TENANT } from '../../tenant';
import type { ChatMessageRecordedV3 } from '../v3/chat-message-recorded-v3.event';

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

/** chat.message.recorded v1: every stored message; tokens_delta is its usage's total. Read in the v3 shape (no tenant). */
export const chatMessageRecordedV1 = defineContract<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV1, ChatMessageRecordedV3>({
  type: CHAT_MESSAGE_RECORDED,
  version: 1,
  schema: ChatMessageRecordedV1Dto,
  nested: { usage: TokenUsageDto },
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    if (data.model !== undefined && data.model !== null && !isSafeText(data.model))
      problems.push('data.model: must be well-formed text without NUL characters');
    if (data.tokens_delta !== data.usage.total_tokens) problems.push(`data.tokens_delta: must equal data.usage.total_tokens (${data.usage.total_tokens})`);
    return problems;
  },
  normalise(data) {
    return {
      user_id: data.user_id,
      conversation_id: data.conversation_id.toLowerCase(),
      message_id: data.message_id.toLowerCase(),
      role: data.role,
      model: data.model ?? null,
      usage: {
        prompt_tokens: data.usage.prompt_tokens,
        completion_tokens: data.usage.completion_tokens,
        cached_tokens: data.usage.cached_tokens,
        cache_write_tokens: 0,
        reasoning_tokens: data.usage.reasoning_tokens,
        total_tokens: data.usage.total_tokens,
      },
      tokens_delta: data.tokens_delta,
      channel: null,
      operation: null,
      ...NO_TENANT,
    };
  },
});
