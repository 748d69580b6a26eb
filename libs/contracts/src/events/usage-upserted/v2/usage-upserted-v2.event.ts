import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { TokenUsageV2Dto } from '../../chat-message-recorded/v2/chat-message-recorded-v2.event';
import { IsChannel, IsOperation } from '../../dimensions';
import { IsTenantId, normaliseTenant, TenantFields } from '../../tenant';
import {
  TokenUsageDeltaDto,
  USAGE_RECORD_EXTERNAL_ID_PATTERN,
  USAGE_RECORD_SOURCE_PATTERN,
  USAGE_UPSERTED,
  UsageUpsertedV1,
  usageUpsertedV1,
} from '../v1/usage-upserted-v1.event';

/** v1 plus the tenant of the record (fixed, like its user, by its first revision). */
export interface UsageUpsertedV2 extends UsageUpsertedV1, TenantFields {}

export type UsageUpsertedV2Event = EventEnvelope<typeof USAGE_UPSERTED, UsageUpsertedV2>;

export class UsageUpsertedV2Dto implements UsageUpsertedV2 {
  @IsString() @Length(1, 64) user_id!: string;
  @IsOptional() @IsUUID('all') conversation_id!: string | null;
  @IsString() @Matches(USAGE_RECORD_SOURCE_PATTERN) source!: string;
  @IsString() @Matches(USAGE_RECORD_EXTERNAL_ID_PATTERN) external_id!: string;
  @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) revision!: number;
  @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) previous_revision!: number | null;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @IsOptional() @IsString() @IsChannel() channel!: string | null;
  @IsOptional() @IsString() @IsOperation() operation!: string | null;
  @IsDefined() @ValidateNested() @Type(() => TokenUsageV2Dto) usage!: TokenUsageV2Dto;
  @IsDefined() @ValidateNested() @Type(() => TokenUsageDeltaDto) delta!: TokenUsageDeltaDto;
  @IsTenantId() org_id!: string | null;
  @IsTenantId() project_id!: string | null;
  @IsTenantId() api_key_id!: string | null;
}

/** ledger.usage.upserted v2: v1 plus org_id, project_id and api_key_id. The gateway writes this version. */
export const usageUpsertedV2 = defineContract<typeof USAGE_UPSERTED, UsageUpsertedV2>({
  type: USAGE_UPSERTED,
  version: 2,
  schema: UsageUpsertedV2Dto,
  nested: { usage: TokenUsageV2Dto, delta: TokenUsageDeltaDto },
  check(data) {
    return usageUpsertedV1.check!(data);
  },
  normalise(data) {
    // Object.assign onto the fresh object, not a spread: this runs for every event (spreads take a slow path in V8).
    return Object.assign(usageUpsertedV1.normalise(data), normaliseTenant(data));
  },
});
