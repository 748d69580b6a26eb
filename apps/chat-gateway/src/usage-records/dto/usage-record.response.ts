import { ApiProperty } from '@nestjs/swagger';

export class TokenUsageResponse {
  @ApiProperty({ type: 'integer' }) prompt_tokens!: number;
  @ApiProperty({ type: 'integer' }) completion_tokens!: number;
  @ApiProperty({ type: 'integer' }) cached_tokens!: number;
  @ApiProperty({ type: 'integer' }) cache_write_tokens!: number;
  @ApiProperty({ type: 'integer' }) reasoning_tokens!: number;
  @ApiProperty({ type: 'integer' }) total_tokens!: number;
}

/** A usage record as the gateway accepted it: its fixed identity and its latest accepted revision. */
export class UsageRecordResponse {
  @ApiProperty({ example: 'agents' }) source!: string;
  @ApiProperty({ example: 'run-42' }) external_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) conversation_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) model!: string | null;
  @ApiProperty({ nullable: true, type: String }) channel!: string | null;
  @ApiProperty({ nullable: true, type: String }) operation!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the organisation the record counts in (null: none)' }) org_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) project_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) api_key_id!: string | null;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'the latest accepted revision: what the record counts' }) revision!: number;
  @ApiProperty({ format: 'date-time', description: "when the latest revision's usage happened (RFC 3339, UTC, microseconds)" }) occurred_at!: string;
  @ApiProperty({ type: TokenUsageResponse, description: "the latest revision's usage" }) usage!: TokenUsageResponse;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export const UPSERT_RESULTS = ['created', 'revised', 'unchanged', 'stale'] as const;
export type UpsertResult = (typeof UPSERT_RESULTS)[number];

/** The answer to a PUT: the record's current state, and what this request did to it. */
export class UsageRecordUpsertResponse extends UsageRecordResponse {
  @ApiProperty({
    enum: UPSERT_RESULTS,
    description:
      'created: first revision, counted in full (201); revised: a higher revision, its difference counted; unchanged: this revision with these numbers was accepted before; stale: a lower revision than the latest, changes nothing',
  })
  result!: UpsertResult;

  @ApiProperty({ description: 'false when the request changed nothing (unchanged, stale): no event was written' })
  changed!: boolean;

  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uuid',
    description: 'the ledger.usage.upserted event of the revision this request sent; null when that revision was stale and never accepted',
  })
  event_id!: string | null;
}

export class UsageRecordRevisionResponse {
  @ApiProperty({ type: 'integer', minimum: 1 }) revision!: number;
  @ApiProperty({ nullable: true, type: 'integer', description: 'the revision counted before this one; null for the first' }) previous_revision!: number | null;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;
  @ApiProperty({ type: TokenUsageResponse }) usage!: TokenUsageResponse;
  @ApiProperty({ type: TokenUsageResponse, description: "usage minus the previous revision's (signed): what this revision changed" })
  delta!: TokenUsageResponse;
  @ApiProperty({ format: 'uuid', description: 'its ledger.usage.upserted event' }) event_id!: string;
  @ApiProperty({ format: 'date-time', description: 'when the gateway accepted it' }) received_at!: string;
}

/** GET: the current state and every accepted revision, oldest first. */
export class UsageRecordHistoryResponse extends UsageRecordResponse {
  @ApiProperty({ type: [UsageRecordRevisionResponse] }) history!: UsageRecordRevisionResponse[];
}
