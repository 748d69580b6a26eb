import { IsIn, IsInt, IsISO8601, IsString, Length, Max, Min } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { rfc3339Problem } from '../../../time/rfc3339';

export const BUDGET_THRESHOLD_CROSSED = 'ledger.budget.threshold_crossed' as const;
export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export const BUDGET_MODES = ['hard', 'soft'] as const;
export const BUDGET_METRICS = ['tokens', 'cost'] as const;
export const BUDGET_THRESHOLDS = [80, 100] as const;

/**
 * A user's spend crossed a share of their budget's limit in one period. Written by the gateway to the
 * outbox in the transaction whose write crossed it, once per (user, period, metric, threshold). It counts
 * no tokens: notification services read it; the ledger validates it and keeps it out of every total.
 */
export interface BudgetThresholdCrossedV1 {
  user_id: string;
  metric: (typeof BUDGET_METRICS)[number];
  /** Percent of the limit: 80 or 100. */
  threshold_percent: (typeof BUDGET_THRESHOLDS)[number];
  /** The limit crossed: tokens, or integer micro-units of the deployment's currency. */
  limit: number;
  /** Spent in the period when it was crossed (same unit as `limit`). */
  used: number;
  period: (typeof BUDGET_PERIODS)[number];
  tz: string;
  mode: (typeof BUDGET_MODES)[number];
  period_start: string;
  period_end: string;
}

export type BudgetThresholdCrossedV1Event = EventEnvelope<typeof BUDGET_THRESHOLD_CROSSED, BudgetThresholdCrossedV1>;

const MAX = Number.MAX_SAFE_INTEGER;

export class BudgetThresholdCrossedV1Dto implements BudgetThresholdCrossedV1 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsIn(BUDGET_METRICS as unknown as string[]) metric!: BudgetThresholdCrossedV1['metric'];
  @IsIn(BUDGET_THRESHOLDS as unknown as number[]) threshold_percent!: BudgetThresholdCrossedV1['threshold_percent'];
  @IsInt() @Min(0) @Max(MAX) limit!: number;
  @IsInt() @Min(-MAX) @Max(MAX) used!: number;
  @IsIn(BUDGET_PERIODS as unknown as string[]) period!: BudgetThresholdCrossedV1['period'];
  @IsString() @Length(1, 64) tz!: string;
  @IsIn(BUDGET_MODES as unknown as string[]) mode!: BudgetThresholdCrossedV1['mode'];
  @IsISO8601({ strict: true, strictSeparator: true }) period_start!: string;
  @IsISO8601({ strict: true, strictSeparator: true }) period_end!: string;
}

export const budgetThresholdCrossedV1 = defineContract<typeof BUDGET_THRESHOLD_CROSSED, BudgetThresholdCrossedV1>({
  type: BUDGET_THRESHOLD_CROSSED,
  version: 1,
  schema: BudgetThresholdCrossedV1Dto,
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    for (const field of ['period_start', 'period_end'] as const) {
      const problem = rfc3339Problem(data[field]);
      if (problem) problems.push(`data.${field}: ${problem}`);
    }
    if (!problems.length && Date.parse(data.period_end) <= Date.parse(data.period_start)) problems.push('data.period_end: must be after period_start');
    return problems;
  },
  normalise(data) {
    return {
      user_id: data.user_id,
      metric: data.metric,
      threshold_percent: data.threshold_percent,
      limit: data.limit,
      used: data.used,
      period: data.period,
      tz: data.tz,
      mode: data.mode,
      period_start: data.period_start.toUpperCase(),
      period_end: data.period_end.toUpperCase(),
    };
  },
});
