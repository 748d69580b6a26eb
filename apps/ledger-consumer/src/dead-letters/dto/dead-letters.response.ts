import { ApiProperty } from '@nestjs/swagger';

export class DeadLetterTotals {
  @ApiProperty({ type: 'integer', description: 'every dead letter kept, not only this page' })
  total!: number;

  @ApiProperty({ type: 'integer', description: 'dead letters whose copy to the DLQ topic has not been published (ledger:dlq-redrive)' })
  dlq_unpublished!: number;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { not_json: 2, invalid_data: 1 }, description: 'count per reason' })
  by_reason!: Record<string, number>;
}

export class DeadLetterPosition {
  @ApiProperty()
  topic!: string;

  @ApiProperty({ type: 'integer' })
  partition!: number;

  @ApiProperty({ example: '1234', description: 'a decimal string (Kafka offsets are 64-bit)' })
  offset!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "the record's Kafka timestamp" })
  timestamp!: string | null;
}

export class BytePreviewResponse {
  @ApiProperty({ type: 'integer', nullable: true, description: 'length of the whole key or value in bytes; null: the record had none' })
  bytes!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '{"type":"chat.message.recorded",\\x00\\xff',
    description:
      'the first 512 bytes as text: printable ASCII and UTF-8 as they are, tab, newline, carriage return and backslash as \\t \\n \\r \\\\, other bytes of invalid UTF-8 as \\xNN, controls and invisible or reordering code points as \\u{NNNN}; null: no bytes',
  })
  preview!: string | null;

  @ApiProperty({ description: 'true when the bytes go on past the preview' })
  truncated!: boolean;
}

export class DeadLetterResponse {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({
    example: 'invalid_data',
    description: 'not_json, not_utf8, invalid_envelope, unknown_type, unknown_version, invalid_data, conflicting_duplicate, rejected_by_database, …',
  })
  reason!: string;

  @ApiProperty({ description: 'what was wrong, naming the field' })
  error!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "the envelope's id when it could be read" })
  event_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the envelope's type when it could be read" })
  event_type!: string | null;

  @ApiProperty({ type: DeadLetterPosition })
  kafka!: DeadLetterPosition;

  @ApiProperty({ type: BytePreviewResponse })
  key!: BytePreviewResponse;

  @ApiProperty({ type: BytePreviewResponse })
  value!: BytePreviewResponse;

  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'the record\'s headers as [{"key": …, "value": …}], each value a string when it is clean UTF-8, else {"base64": …}',
  })
  headers!: unknown;

  @ApiProperty({ format: 'date-time' })
  received_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when its copy reached the DLQ topic; null: not (yet)' })
  dlq_published_at!: string | null;
}

export class DeadLettersPage {
  @ApiProperty({ type: DeadLetterTotals })
  totals!: DeadLetterTotals;

  @ApiProperty({ type: [DeadLetterResponse], description: 'newest first' })
  list!: DeadLetterResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  next_cursor!: string | null;
}
