import type { BudgetResponse, OrgBudgetResponse } from './dto/budget.response';
import type { BudgetState } from './budgets.repository';

const remaining = (limit: number | null, used: number, reserved: number) => (limit === null ? null : Math.max(0, limit - used - reserved));

/** A user's budget as the API shows it. */
export function toBudgetResponse(s: BudgetState): BudgetResponse {
  return { user_id: s.subject, ...figures(s) };
}

/** An organisation's budget as the API shows it. */
export function toOrgBudgetResponse(s: BudgetState): OrgBudgetResponse {
  return { org_id: s.subject, ...figures(s) };
}

export function budgetResponseOf(s: BudgetState): BudgetResponse | OrgBudgetResponse {
  return s.scope === 'user' ? toBudgetResponse(s) : toOrgBudgetResponse(s);
}

function figures(s: BudgetState): Omit<BudgetResponse, 'user_id'> {
  return {
    period: s.period,
    tz: s.tz,
    mode: s.mode,
    limit_tokens: s.limit_tokens,
    limit_cost_micros: s.limit_cost_micros,
    round_reservation_tokens: s.round_reservation_tokens,
    used_tokens: s.used_tokens,
    used_cost_micros: s.used_cost_micros,
    reserved_tokens: s.reserved_tokens,
    reserved_cost_micros: s.reserved_cost_micros,
    remaining_tokens: remaining(s.limit_tokens, s.used_tokens, s.reserved_tokens),
    remaining_cost_micros: remaining(s.limit_cost_micros, s.used_cost_micros, s.reserved_cost_micros),
    period_start: s.period_start,
    period_end: s.period_end,
    period_start_local: s.period_start_local,
    period_end_local: s.period_end_local,
    resets_at: s.period_end,
    updated_at: s.updated_at,
  };
}

/** The limits a new round of `reservation` tokens (costing `reservationCost`) would pass; empty when it fits. */
export function limitsPassed(s: BudgetState, reservation: number, reservationCost: number): Array<'tokens' | 'cost'> {
  const passed: Array<'tokens' | 'cost'> = [];
  // A round needs room for at least one token (or micro-unit) even when it reserves none: at the limit, no new round.
  if (s.limit_tokens !== null && s.used_tokens + s.reserved_tokens + Math.max(reservation, 1) > s.limit_tokens) passed.push('tokens');
  if (s.limit_cost_micros !== null && s.used_cost_micros + s.reserved_cost_micros + Math.max(reservationCost, 1) > s.limit_cost_micros) passed.push('cost');
  return passed;
}

/** Thresholds (percent of a limit) the spend has reached: 80 and 100. */
export function thresholdsReached(s: BudgetState): Array<{ metric: 'tokens' | 'cost'; threshold: 80 | 100; limit: number; used: number }> {
  const out: Array<{ metric: 'tokens' | 'cost'; threshold: 80 | 100; limit: number; used: number }> = [];
  const check = (metric: 'tokens' | 'cost', limit: number | null, used: number) => {
    if (limit === null || limit === 0) return;
    for (const threshold of [80, 100] as const) if (used * 100 >= limit * threshold) out.push({ metric, threshold, limit, used });
  };
  check('tokens', s.limit_tokens, s.used_tokens);
  check('cost', s.limit_cost_micros, s.used_cost_micros);
  return out;
}
