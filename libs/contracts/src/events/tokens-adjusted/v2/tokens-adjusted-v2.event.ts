import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { isSafeText, USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { rfc3339Problem } from '../../../time/rfc3339';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { IsChannel, IsOperation } from '../../dimensions';
import { NO_TENANT } from '../../tenant';
import type { TokensAdjustedV3 } from '../v3/tokens-adjusted-v3.event';
import { ADJUSTMENT_REASON_PATTERN, TOKENS_ADJUSTED } from '../v1/tokens-adjusted-v1.event';

export interface TokensAdjustedV2 {
  user_id: string;
  conversation_id: string | null;
  message_id: string | null;
  tokens_delta: number;
  reason: string;
  triggered_at: string;
  /** The model whose tokens these are; priced at its input rate. Without one the adjustment is unpriced. */
  model: string | null;
  channel: string | null;
  operation: string | null;
}

export type TokensAdjustedV2Event = EventEnvelope<typeof TOKENS_ADJUSTED, TokensAdjustedV2>;

export class TokensAdjustedV2Dto implements TokensAdjustedV2 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsOptional() @IsUUID('all') conversation_id!: string | null;
  @IsOptional() @IsUUID('all') message_id!: string | null;
  @IsInt() @Min(-MAX_ABS_TOKENS_DELTA) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsString() @Matches(ADJUSTMENT_REASON_PATTERN) reason!: string;
  @IsISO8601({ strict: true, strictSeparator: true }) triggered_at!: string;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @IsOptional() @IsString() @IsChannel() channel!: string | null;
  @IsOptional() @IsString() @IsOperation() operation!: string | null;
}

/** ledger.tokens.adjusted v2: v1 plus the model the tokens were spent on, and where they came from. Read in the v3 shape (no tenant). */
export const tokensAdjustedV2 = defineContract<typeof TOKENS_ADJUSTED, TokensAdjustedV2, TokensAdjustedV3>({
  type: TOKENS_ADJUSTED,
  version: 2,
  schema: TokensAdjustedV2Dto,
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    const triggered = rfc3339Problem(data.triggered_at);
    if (triggered) problems.push(`data.triggered_at: ${triggered}`);
    if (data.model !== undefined && data.model !== null && !isSafeText(data.model))
      problems.push('data.model: must be well-formed text without NUL characters');
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
      model: data.model ?? null,
      channel: data.channel ?? null,
      operation: data.operation ?? null,
      ...NO_TENANT,
    };
  },
});
