import { ApiProperty } from '@nestjs/swagger';
import { KNOWN_ROLES, type MessageRole, type TokenUsageV2 } from '@chat-ledger/contracts';

export class RecordedMessageResponse {
  @ApiProperty({ format: 'uuid' })
  message_id!: string;

  @ApiProperty({ format: 'uuid', description: 'the conversation the message was recorded in (a new one for POST /v1/chat/messages without conversation_id)' })
  conversation_id!: string;

  @ApiProperty({ enum: KNOWN_ROLES, enumName: 'MessageRole' })
  role!: MessageRole;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'the normalized usage.total_tokens' })
  tokens_consumed!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

/** A message's usage as recorded, every count filled in (absent counts are 0). */
export class MessageUsageResponse implements TokenUsageV2 {
  @ApiProperty({ type: 'integer', minimum: 0 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  cached_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  cache_write_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  reasoning_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'prompt_tokens + completion_tokens' })
  total_tokens!: number;
}

export class HistoryMessageResponse {
  @ApiProperty({ format: 'uuid' })
  message_id!: string;

  @ApiProperty({ format: 'uuid' })
  conversation_id!: string;

  @ApiProperty({ enum: KNOWN_ROLES, enumName: 'MessageRole' })
  role!: MessageRole;

  @ApiProperty()
  content!: string;

  @ApiProperty({ type: String, nullable: true })
  model!: string | null;

  @ApiProperty({ type: MessageUsageResponse })
  usage!: MessageUsageResponse;

  @ApiProperty({ type: String, nullable: true, example: 'web' })
  channel!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'chat' })
  operation!: string | null;

  /**
   * The message's tokens as counted by the ledger (its usage plus adjustments attached to it); until the
   * ledger has applied the message's event, its recorded usage.total_tokens.
   */
  @ApiProperty({
    type: 'integer',
    description: "the ledger's count for the message (its usage plus adjustments attached to it); until the ledger has applied it, usage.total_tokens",
  })
  tokens_consumed!: number;

  /** Whether tokens_consumed comes from the ledger yet. */
  @ApiProperty({ description: 'whether tokens_consumed comes from the ledger yet' })
  ledger_applied!: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

export class MessagePage {
  @ApiProperty({ type: [HistoryMessageResponse], description: 'oldest first' })
  list!: HistoryMessageResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  next_cursor!: string | null;
}
