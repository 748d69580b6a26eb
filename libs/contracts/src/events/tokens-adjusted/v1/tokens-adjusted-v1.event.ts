import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { rfc3339Problem } from '../../../time/rfc3339';
import { USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { NO_TENANT } from '../../tenant';
import type { TokensAdjustedV3 } from '../v3/tokens-adjusted-v3.event';

export const TOKENS_ADJUSTED = 'ledger.tokens.adjusted' as const;
export const TOKENS_ADJUSTED_VERSION = 1;

/** Reasons are short machine-readable slugs (title_generation, summarisation, refund, correction, …). */
export const ADJUSTMENT_REASON_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

export interface TokensAdjustedV1 {
  user_id: string;
  conversation_id: string | null;
  message_id: string | null;
  tokens_delta: number;
  reason: string;
  triggered_at: string;
}

export type TokensAdjustedEvent = EventEnvelope<typeof TOKENS_ADJUSTED, TokensAdjustedV1>;

export class TokensAdjustedV1Dto implements TokensAdjustedV1 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsOptional() @IsUUID('all') conversation_id!: string | null;
  @IsOptional() @IsUUID('all') message_id!: string | null;
  @IsInt() @Min(-MAX_ABS_TOKENS_DELTA) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsString() @Matches(ADJUSTMENT_REASON_PATTERN) reason!: string;
  @IsISO8601({ strict: true, strictSeparator: true }) triggered_at!: string;
}

/** ledger.tokens.adjusted v1: a signed delta from an internal service (title generation, refund, correction, …). */
export const tokensAdjustedV1 = defineContract<typeof TOKENS_ADJUSTED, TokensAdjustedV1, TokensAdjustedV3>({
  type: TOKENS_ADJUSTED,
  version: 1,
  schema: TokensAdjustedV1Dto,
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    const triggered = rfc3339Problem(data.triggered_at);
    if (triggered) problems.push(`data.triggered_at: ${triggered}`);
    return problems;
  },
  normalise(data) {
    return {
      user_id: data.user_id,
      conversation_id: data.conversation_id ? data.conversation_id.toLowerCase() : null,
      message_id: data.message_id ? data.message_id.toLowerCase() : null,
      tokens_delta: data.tokens_delta,
      reason: data.reason,
      triggered_at: data.triggered_at.toUpperCase(),
      model: null,
      channel: null,
      operation: null,
      ...NO_TENANT,
    };
  },
});
