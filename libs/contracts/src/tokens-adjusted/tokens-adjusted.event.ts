import {
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { EventEnvelope } from '../envelope/event-envelope';
import { MAX_ABS_TOKENS_DELTA } from '../topics';

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
