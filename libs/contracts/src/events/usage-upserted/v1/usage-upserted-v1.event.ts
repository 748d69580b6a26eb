import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { isSafeText, USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { TokenUsageV2, TokenUsageV2Dto, usageProblems } from '../../chat-message-recorded/v2/chat-message-recorded-v2.event';
import { IsChannel, IsOperation } from '../../dimensions';
import { NO_TENANT } from '../../tenant';
import type { UsageUpsertedV2 } from '../v2/usage-upserted-v2.event';

export const USAGE_UPSERTED = 'ledger.usage.upserted' as const;

/**
 * The usage-record source of tasks: `/v1/usage-records/tasks/:task_id` syncs usage of a task (the gateway's
 * tasks), and consumers attribute it to that task; its operation is the task's kind.
 */
export const TASKS_USAGE_SOURCE = 'tasks';

/**
 * A usage record is named by the system that metered it (`source`: agents, indexer, batch-jobs, …) and that
 * system's own id for it. Path-safe, so both travel in a URL unescaped. The source is at most 100 characters,
 * the width of the ledger's source column, which it fills for these events.
 */
export const USAGE_RECORD_SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
export const USAGE_RECORD_EXTERNAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const USAGE_RECORD_ID_PROBLEM = (max: number) => `must be 1 to ${max} of A-Z a-z 0-9 _ . : - starting with a letter or digit`;

/** Signed difference of two token usages, kind by kind (the later minus the earlier). */
export type TokenUsageDelta = TokenUsageV2;

export interface UsageUpsertedV1 {
  user_id: string;
  conversation_id: string | null;
  /** The system that reported the usage (not the envelope's source, which is the producer: chat-gateway). */
  source: string;
  external_id: string;
  /** The reporter's revision of the record; a later revision replaces an earlier one. */
  revision: number;
  /** The revision `delta` is relative to: the one counted before this one; null for the first. */
  previous_revision: number | null;
  model: string | null;
  channel: string | null;
  operation: string | null;
  /** This revision's full usage: what the record counts once this event is applied. */
  usage: TokenUsageV2;
  /** `usage` minus the previous revision's usage (signed); equal to `usage` for the first revision. */
  delta: TokenUsageDelta;
}

export type UsageUpsertedV1Event = EventEnvelope<typeof USAGE_UPSERTED, UsageUpsertedV1>;

const SignedCount = () => (target: object, key: string) => {
  IsInt()(target, key);
  Min(-MAX_ABS_TOKENS_DELTA)(target, key);
  Max(MAX_ABS_TOKENS_DELTA)(target, key);
};

export class TokenUsageDeltaDto implements TokenUsageDelta {
  @SignedCount() prompt_tokens!: number;
  @SignedCount() completion_tokens!: number;
  @SignedCount() cached_tokens!: number;
  @SignedCount() cache_write_tokens!: number;
  @SignedCount() reasoning_tokens!: number;
  @SignedCount() total_tokens!: number;
}

export class UsageUpsertedV1Dto implements UsageUpsertedV1 {
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
}

const KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'] as const;

/** `a - b` kind by kind. */
export function usageDifference(a: TokenUsageV2, b: TokenUsageV2): TokenUsageDelta {
  return Object.fromEntries(KINDS.map((k) => [k, a[k] - b[k]])) as unknown as TokenUsageDelta;
}

export const ZERO_USAGE: TokenUsageV2 = Object.freeze({
  prompt_tokens: 0,
  completion_tokens: 0,
  cached_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 0,
});

/**
 * ledger.usage.upserted v1: one accepted revision of a usage record another system reported
 * (PUT /v1/usage-records/:source/:external_id). It carries the revision's full usage and the delta to the
 * revision counted before it. A consumer that keeps per-record state applies `usage` against what it counted
 * itself (idempotent and order-independent: replays, partial replays and late arrivals all end at the
 * latest revision); a stateless consumer can add `delta`. The envelope's occurred_at is when the usage
 * happened (as for messages), so it is also the time the usage is priced and bucketed at. Read in the v2 shape
 * (no tenant).
 */
export const usageUpsertedV1 = defineContract<typeof USAGE_UPSERTED, UsageUpsertedV1, UsageUpsertedV2>({
  type: USAGE_UPSERTED,
  version: 1,
  schema: UsageUpsertedV1Dto,
  nested: { usage: TokenUsageV2Dto, delta: TokenUsageDeltaDto },
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    if (data.model !== undefined && data.model !== null && !isSafeText(data.model))
      problems.push('data.model: must be well-formed text without NUL characters');
    const previousRevision = data.previous_revision ?? null;
    if (previousRevision !== null && previousRevision >= data.revision) problems.push(`data.previous_revision: must be below revision (${data.revision})`);
    problems.push(...usageProblems(data.usage));
    const d = data.delta;
    if (d.total_tokens !== d.prompt_tokens + d.completion_tokens) {
      problems.push(`data.delta.total_tokens: must equal prompt_tokens + completion_tokens (${d.prompt_tokens + d.completion_tokens})`);
    }
    // The delta must lead from a usage that could have been counted: the previous revision's, all parts >= 0 and adding up.
    const previous = usageDifference(data.usage, d);
    const negative = KINDS.filter((k) => previous[k] < 0);
    if (negative.length > 0) problems.push(`data.delta.${negative[0]}: must not exceed usage.${negative[0]} (the previous revision's count would be negative)`);
    else problems.push(...usageProblems(previous, 'data.delta').map((p) => `${p} (in usage - delta, the previous revision's usage)`));
    if (previousRevision === null && KINDS.some((k) => d[k] !== data.usage[k]))
      problems.push('data.delta: must equal data.usage when there is no previous_revision');
    return problems;
  },
  normalise(data) {
    const usage = (u: TokenUsageV2): TokenUsageV2 => Object.fromEntries(KINDS.map((k) => [k, u[k]])) as unknown as TokenUsageV2;
    return {
      user_id: data.user_id,
      conversation_id: data.conversation_id ? data.conversation_id.toLowerCase() : null,
      source: data.source,
      external_id: data.external_id,
      revision: data.revision,
      previous_revision: data.previous_revision ?? null,
      model: data.model ?? null,
      channel: data.channel ?? null,
      operation: data.operation ?? null,
      usage: usage(data.usage),
      delta: usage(data.delta),
      ...NO_TENANT,
    };
  },
});
