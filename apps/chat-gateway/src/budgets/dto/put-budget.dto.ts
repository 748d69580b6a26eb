import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { BUDGET_MODES, BUDGET_PERIODS } from '@chat-ledger/contracts';
import { IsTimeZoneName } from '@chat-ledger/platform';

const MAX_LIMIT = 1_000_000_000_000_000; // 10^15: a billion dollars in micro-units, far beyond any token count

/** A user's budget as operators set it. At least one of the two limits. */
export class PutBudgetDto {
  @ApiProperty({ enum: BUDGET_PERIODS, description: 'the period the limits apply to; it starts at local midnight in `tz` (weeks on Monday)' })
  @IsIn(BUDGET_PERIODS as unknown as string[], { message: `must be one of ${BUDGET_PERIODS.join(', ')}` })
  period!: (typeof BUDGET_PERIODS)[number];

  @ApiProperty({ example: 'Europe/Berlin', description: "IANA time zone of the period's boundaries (the user's zone)" })
  @IsString()
  @IsTimeZoneName()
  tz!: string;

  @ApiPropertyOptional({ minimum: 0, description: 'tokens per period' })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(MAX_LIMIT)
  limit_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, description: "cost per period in integer micro-units of the ledger's currency (1 USD = 1000000)" })
  @IsOptional()
  @IsInt({ message: 'must be an integer (micro-units)' })
  @Min(0)
  @Max(MAX_LIMIT)
  limit_cost_micros?: number;

  @ApiProperty({
    enum: BUDGET_MODES,
    description: 'hard: a round that would pass a limit is refused (429 BUDGET_EXCEEDED); soft: it is admitted and only announced',
  })
  @IsIn(BUDGET_MODES as unknown as string[], { message: `must be one of ${BUDGET_MODES.join(', ')}` })
  mode!: (typeof BUDGET_MODES)[number];

  @ApiPropertyOptional({
    minimum: 0,
    default: 0,
    description: 'tokens a round reserves when its user message gives no max_tokens; 0: a round only needs the budget not to be used up',
  })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(10_000_000)
  round_reservation_tokens?: number;
}
