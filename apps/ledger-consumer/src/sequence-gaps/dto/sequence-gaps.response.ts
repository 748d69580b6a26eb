import { ApiProperty } from '@nestjs/swagger';
import { ANOMALY_KINDS } from './list-sequence-gaps.query.dto';

export class SequenceGapTotals {
  @ApiProperty({ type: 'integer' })
  gaps!: number;

  @ApiProperty({ type: 'integer' })
  reorders!: number;

  @ApiProperty({ type: 'integer', description: 'users with at least one anomaly' })
  users!: number;
}

export class KafkaPosition {
  @ApiProperty()
  topic!: string;

  @ApiProperty({ type: 'integer' })
  partition!: number;

  @ApiProperty({ example: '1234', description: 'a decimal string (Kafka offsets are 64-bit)' })
  offset!: string;
}

export class SequenceAnomaly {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty()
  user_id!: string;

  @ApiProperty({ enum: ANOMALY_KINDS, description: 'gap: seen_seq skipped expected_seq; reorder: seen_seq arrived after a later one' })
  kind!: (typeof ANOMALY_KINDS)[number];

  @ApiProperty({ type: 'integer' })
  expected_seq!: number;

  @ApiProperty({ type: 'integer' })
  seen_seq!: number;

  @ApiProperty({ format: 'uuid', description: 'the event that showed it' })
  event_id!: string;

  @ApiProperty({ type: KafkaPosition })
  kafka!: KafkaPosition;

  @ApiProperty({ format: 'date-time' })
  detected_at!: string;
}

export class SequenceGapsPage {
  @ApiProperty({ type: SequenceGapTotals, description: 'over every anomaly, not only this page' })
  totals!: SequenceGapTotals;

  @ApiProperty({ type: [SequenceAnomaly], description: 'newest first' })
  list!: SequenceAnomaly[];

  @ApiProperty({ type: String, nullable: true, description: 'cursor of the next page; null on the last page' })
  next_cursor!: string | null;
}
