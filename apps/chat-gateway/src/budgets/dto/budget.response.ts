import { ApiProperty, OmitType } from '@nestjs/swagger';
import { BUDGET_MODES, BUDGET_PERIODS } from '@chat-ledger/contracts';

const nullableInt = (description: string) => ({ type: Number, nullable: true, description });

export class BudgetResponse {
  @ApiProperty()
  user_id!: string;

  @ApiProperty({ enum: BUDGET_PERIODS })
  period!: (typeof BUDGET_PERIODS)[number];

  @ApiProperty({ example: 'Europe/Berlin' })
  tz!: string;

  @ApiProperty({ enum: BUDGET_MODES })
  mode!: (typeof BUDGET_MODES)[number];

  @ApiProperty(nullableInt('tokens per period; null: no token limit'))
  limit_tokens!: number | null;

  @ApiProperty(nullableInt('micro-units of the currency per period; null: no cost limit'))
  limit_cost_micros!: number | null;

  @ApiProperty()
  round_reservation_tokens!: number;

  @ApiProperty({ description: 'spent in the current period: applied by the ledger or committed and on its way (exact at the time of the answer)' })
  used_tokens!: number;

  @ApiProperty({ description: 'the cost of it in micro-units (unpriced events count 0)' })
  used_cost_micros!: number;

  @ApiProperty({ description: 'open reservations of rounds whose assistant message has not arrived yet' })
  reserved_tokens!: number;

  @ApiProperty()
  reserved_cost_micros!: number;

  @ApiProperty(nullableInt('limit - used - reserved, never below 0; null without that limit'))
  remaining_tokens!: number | null;

  @ApiProperty(nullableInt('limit - used - reserved, never below 0; null without that limit'))
  remaining_cost_micros!: number | null;

  @ApiProperty({ format: 'date-time', description: 'the current period in UTC' })
  period_start!: string;

  @ApiProperty({ format: 'date-time' })
  period_end!: string;

  @ApiProperty({ example: '2026-03-29T00:00:00+01:00', description: 'the same instants in the budget zone, with their offsets' })
  period_start_local!: string;

  @ApiProperty({ example: '2026-03-30T00:00:00+02:00' })
  period_end_local!: string;

  @ApiProperty({ format: 'date-time', description: 'when the next period starts (= period_end)' })
  resets_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

/** An organisation's budget: its users' spend together (GET /v1/orgs/:org_id/budget). */
export class OrgBudgetResponse extends OmitType(BudgetResponse, ['user_id'] as const) {
  @ApiProperty()
  org_id!: string;
}
