import { BUDGET_MODES, BUDGET_PERIODS } from '@chat-ledger/contracts';

export interface BudgetResponse {
  user_id: string;
  period: (typeof BUDGET_PERIODS)[number];
  tz: string;
  mode: (typeof BUDGET_MODES)[number];
  limit_tokens: number | null;
  limit_cost_micros: number | null;
  round_reservation_tokens: number;
  /** Spent in the current period: applied by the ledger or committed and on its way (exact at the time of the answer). */
  used_tokens: number;
  used_cost_micros: number;
  /** Open reservations of rounds whose assistant message has not arrived yet. */
  reserved_tokens: number;
  reserved_cost_micros: number;
  /** limit - used - reserved, never below 0; null without that limit. */
  remaining_tokens: number | null;
  remaining_cost_micros: number | null;
  /** The current period in UTC and in the budget's zone (local time with its offset). */
  period_start: string;
  period_end: string;
  period_start_local: string;
  period_end_local: string;
  /** When the next period starts (= period_end). */
  resets_at: string;
  updated_at: string;
}
