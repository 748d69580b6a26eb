import { ApiProperty } from '@nestjs/swagger';

/** A conversation as the API shows it; deleted ones are never shown (every read skips them). */
export class ConversationResponse {
  @ApiProperty({ format: 'uuid' })
  conversation_id!: string;

  @ApiProperty({ type: String, nullable: true })
  title!: string | null;

  @ApiProperty({ description: 'title is set and not empty' })
  has_title!: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'gpt-4o' })
  model!: string | null;

  @ApiProperty({ type: String, nullable: true })
  system_prompt!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  message_count!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_message_at!: string | null;

  @ApiProperty({ enum: ['active', 'archived'], enumName: 'ConversationStatus' })
  status!: 'active' | 'archived';

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  /** Tokens the ledger has counted for this conversation (messages and adjustments). */
  @ApiProperty({ type: 'integer', description: 'tokens the ledger has counted for this conversation (messages and adjustments)' })
  tokens_total!: number;
}

export class ConversationPage {
  @ApiProperty({ type: [ConversationResponse] })
  list!: ConversationResponse[];

  @ApiProperty({ type: 'integer', minimum: 1 })
  page!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 })
  page_size!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'conversations with this status' })
  total!: number;

  @ApiProperty()
  has_more!: boolean;

  /** Keyset cursor of the next page (pass it as `cursor`), null on the last page. */
  @ApiProperty({ type: String, nullable: true, description: 'keyset cursor of the next page (pass it as `cursor`); null on the last page' })
  next_cursor!: string | null;
}
