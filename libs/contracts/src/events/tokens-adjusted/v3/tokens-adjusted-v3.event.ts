import { IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { IsChannel, IsOperation } from '../../dimensions';
import { IsTenantId, normaliseTenant, TenantFields } from '../../tenant';
import { ADJUSTMENT_REASON_PATTERN, TOKENS_ADJUSTED } from '../v1/tokens-adjusted-v1.event';
import { TokensAdjustedV2, tokensAdjustedV2 } from '../v2/tokens-adjusted-v2.event';

/** v2 plus the tenant: the organisation, project and API key the tokens belong to (each optional). */
export interface TokensAdjustedV3 extends TokensAdjustedV2, TenantFields {}

export type TokensAdjustedV3Event = EventEnvelope<typeof TOKENS_ADJUSTED, TokensAdjustedV3>;

export class TokensAdjustedV3Dto implements TokensAdjustedV3 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsOptional() @IsUUID('all') conversation_id!: string | null;
  @IsOptional() @IsUUID('all') message_id!: string | null;
  @IsInt() @Min(-MAX_ABS_TOKENS_DELTA) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsString() @Matches(ADJUSTMENT_REASON_PATTERN) reason!: string;
  @IsISO8601({ strict: true, strictSeparator: true }) triggered_at!: string;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @IsOptional() @IsString() @IsChannel() channel!: string | null;
  @IsOptional() @IsString() @IsOperation() operation!: string | null;
  @IsTenantId() org_id!: string | null;
  @IsTenantId() project_id!: string | null;
  @IsTenantId() api_key_id!: string | null;
}

/** ledger.tokens.adjusted v3: v2 plus org_id, project_id and api_key_id. The gateway writes this version. */
export const tokensAdjustedV3 = defineContract<typeof TOKENS_ADJUSTED, TokensAdjustedV3>({
  type: TOKENS_ADJUSTED,
  version: 3,
  schema: TokensAdjustedV3Dto,
  check(data) {
    return tokensAdjustedV2.check!(data);
  },
  normalise(data) {
    // Object.assign onto the fresh object, not a spread: this runs for every event (spreads take a slow path in V8).
    return Object.assign(tokensAdjustedV2.normalise(data), normaliseTenant(data));
  },
});
