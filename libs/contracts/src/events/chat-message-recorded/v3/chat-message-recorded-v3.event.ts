import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope, IsMessageRole, MessageRole } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { IsChannel, IsOperation } from '../../dimensions';
import { IsTenantId, normaliseTenant, TenantFields } from '../../tenant';
import { CHAT_MESSAGE_RECORDED } from '../v1/chat-message-recorded-v1.event';
import { ChatMessageRecordedV2, chatMessageRecordedV2, TokenUsageV2Dto } from '../v2/chat-message-recorded-v2.event';

/** v2 plus the tenant: the organisation, project and API key the message belongs to (each optional). */
export interface ChatMessageRecordedV3 extends ChatMessageRecordedV2, TenantFields {}

export type ChatMessageRecordedV3Event = EventEnvelope<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV3>;

export class ChatMessageRecordedV3Dto implements ChatMessageRecordedV3 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsUUID('all') conversation_id!: string;
  @IsUUID('all') message_id!: string;
  @IsMessageRole() role!: MessageRole;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @IsDefined() @ValidateNested() @Type(() => TokenUsageV2Dto) usage!: TokenUsageV2Dto;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsOptional() @IsString() @IsChannel() channel!: string | null;
  @IsOptional() @IsString() @IsOperation() operation!: string | null;
  @IsTenantId() org_id!: string | null;
  @IsTenantId() project_id!: string | null;
  @IsTenantId() api_key_id!: string | null;
}

/** chat.message.recorded v3: v2 plus org_id, project_id and api_key_id. The gateway writes this version. */
export const chatMessageRecordedV3 = defineContract<typeof CHAT_MESSAGE_RECORDED, ChatMessageRecordedV3>({
  type: CHAT_MESSAGE_RECORDED,
  version: 3,
  schema: ChatMessageRecordedV3Dto,
  nested: { usage: TokenUsageV2Dto },
  check(data) {
    return chatMessageRecordedV2.check!(data);
  },
  normalise(data) {
    // Object.assign onto the fresh object, not a spread: this runs for every event (spreads take a slow path in V8).
    return Object.assign(chatMessageRecordedV2.normalise(data), normaliseTenant(data));
  },
});
