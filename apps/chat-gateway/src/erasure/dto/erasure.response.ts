import { ApiProperty } from '@nestjs/swagger';

/** Rows removed (or, in a dry run, that would be), by kind. */
export class ErasureRemovedCounts {
  @ApiProperty() conversations!: number;
  @ApiProperty() messages!: number;
  @ApiProperty({ description: "idempotency keys of the user, and other callers' whose stored response names the user" })
  idempotency_keys!: number;
  @ApiProperty({ description: 'tasks of the user, with their metadata and usage' }) tasks!: number;
  @ApiProperty({ description: 'the budget (0 or 1)' }) budgets!: number;
  @ApiProperty() budget_reservations!: number;
  @ApiProperty() budget_thresholds!: number;
  @ApiProperty() budget_changes!: number;
  @ApiProperty({ description: 'usage records with every revision' }) usage_records!: number;
  @ApiProperty({ description: "the user's binding to an organisation (0 or 1)" }) organisation_bindings!: number;
  @ApiProperty({ description: 'outbox rows not yet published: published in order, then deleted at once' }) outbox_pending!: number;
  @ApiProperty({ description: 'published or skipped outbox rows kept for replays: deleted' }) outbox_published!: number;
  @ApiProperty({ description: 'dead outbox rows (their events never reached the ledger): deleted' }) outbox_dead!: number;
}

export class ErasureResponse {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the audit id of this erasure (null in a dry run); the ledger records the same id when it has pseudonymised the user',
  })
  erasure_id!: string | null;

  @ApiProperty()
  dry_run!: boolean;

  @ApiProperty({ format: 'date-time' })
  requested_at!: string;

  @ApiProperty({ type: ErasureRemovedCounts })
  removed!: ErasureRemovedCounts;

  @ApiProperty({
    enum: ['pending', 'none'],
    description: 'pending: the user.erased event is in the outbox; the ledger pseudonymises the user when it applies it. none: dry run',
  })
  ledger!: 'pending' | 'none';
}
