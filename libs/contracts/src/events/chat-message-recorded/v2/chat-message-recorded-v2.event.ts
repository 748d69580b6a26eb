import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope, IsMessageRole, MessageRole } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { isSafeText, USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { IsChannel, IsOperation } from '../../dimensions';
import { NO_TENANT } from '../../tenant';
import type { ChatMessageRecordedV3 } from '../v3/chat-message-recorded-v3.event';
import { CHAT_MESSAGE_RECORDED } from '../v1/chat-message-recorded-v1.event';

/**
 * Token counts of one model call. cached (cache read) and cache write tokens are part of prompt_tokens,
 * reasoning tokens part of completion_tokens (the OpenAI convention); total = prompt + completion.
 */
export interface TokenUsageV2 {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
}

export interface ChatMessageRecordedV2 {
  user_id: string;
  conversation_id: string;
  message_id: string;
  role: MessageRole;
  model: string | null;
  usage: TokenUsageV2;
  tokens_delta: number;
  channel: string | null;
  operation: string | null;
}

export type ChatMessageRecordedV2Event = EventEnvelope<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV2>;

export class TokenUsageV2Dto implements TokenUsageV2 {
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) prompt_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) completion_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) cached_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) cache_write_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) reasoning_tokens!: number;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) total_tokens!: number;
}

export class ChatMessageRecordedV2Dto implements ChatMessageRecordedV2 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsUUID('all') conversation_id!: string;
  @IsUUID('all') message_id!: string;
  @IsMessageRole() role!: MessageRole;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @IsDefined() @ValidateNested() @Type(() => TokenUsageV2Dto) usage!: TokenUsageV2Dto;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsOptional() @IsString() @IsChannel() channel!: string | null;
  @IsOptional() @IsString() @IsOperation() operation!: string | null;
}

/** Problems of a usage breakdown whose parts do not add up (shared by every contract that carries usage). */
export function usageProblems(usage: TokenUsageV2, prefix = 'data.usage'): string[] {
  const problems: string[] = [];
  if (usage.total_tokens !== usage.prompt_tokens + usage.completion_tokens) {
    problems.push(`${prefix}.total_tokens: must equal prompt_tokens + completion_tokens (${usage.prompt_tokens + usage.completion_tokens})`);
  }
  if (usage.cached_tokens + usage.cache_write_tokens > usage.prompt_tokens) {
    problems.push(`${prefix}.cached_tokens: cached_tokens + cache_write_tokens must not exceed prompt_tokens (${usage.prompt_tokens})`);
  }
  if (usage.reasoning_tokens > usage.completion_tokens) {
    problems.push(`${prefix}.reasoning_tokens: must not exceed completion_tokens (${usage.completion_tokens})`);
  }
  return problems;
}

/** chat.message.recorded v2: v1 plus cache write tokens, and where the usage came from (channel, operation). Read in the v3 shape (no tenant). */
export const chatMessageRecordedV2 = defineContract<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV2, ChatMessageRecordedV3>({
  type: CHAT_MESSAGE_RECORDED,
  version: 2,
  schema: ChatMessageRecordedV2Dto,
  nested: { usage: TokenUsageV2Dto },
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    if (data.model !== undefined && data.model !== null && !isSafeText(data.model))
      problems.push('data.model: must be well-formed text without NUL characters');
    if (data.tokens_delta !== data.usage.total_tokens) problems.push(`data.tokens_delta: must equal data.usage.total_tokens (${data.usage.total_tokens})`);
    problems.push(...usageProblems(data.usage));
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
        cache_write_tokens: data.usage.cache_write_tokens,
        reasoning_tokens: data.usage.reasoning_tokens,
        total_tokens: data.usage.total_tokens,
      },
      tokens_delta: data.tokens_delta,
      channel: data.channel ?? null,
      operation: data.operation ?? null,
      ...NO_TENANT,
    };
  },
});
