import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { isSafeText, USER_ID, USER_ID_PROBLEM } from '../../../text/safe-text';
import { rfc3339Problem } from '../../../time/rfc3339';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { TokenUsageV2, TokenUsageV2Dto, usageProblems } from '../../chat-message-recorded/v2/chat-message-recorded-v2.event';
import { NO_TENANT } from '../../tenant';
import type { TaskCompletedV2 } from '../v2/task-completed-v2.event';

export const TASK_COMPLETED = 'task.completed' as const;
export const TASK_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];
/** Task kinds are open text; these are the usual ones. */
export const TASK_KIND_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/**
 * A task (title generation, summarisation, an agent run, indexing) reached its final state, exactly once:
 * written by the gateway to the outbox in the completing transaction. It carries the usage reported at
 * completion, which the ledger counts like a message's (priced, attributed to the task, its user and its
 * conversation); a task completed without usage counts 0 tokens.
 */
export interface TaskCompletedV1 {
  task_id: string;
  source: string;
  external_id: string;
  kind: string;
  user_id: string;
  conversation_id: string | null;
  client_id: string | null;
  outcome: TaskOutcome;
  error: string | null;
  model: string | null;
  usage: TokenUsageV2;
  tokens_delta: number;
  started_at: string | null;
  completed_at: string;
}

export type TaskCompletedV1Event = EventEnvelope<typeof TASK_COMPLETED, TaskCompletedV1>;

export class TaskCompletedV1Dto implements TaskCompletedV1 {
  @IsUUID('all') task_id!: string;
  @IsString() @Length(1, 64) source!: string;
  @IsString() @Length(1, 128) external_id!: string;
  @IsString() @Length(1, 64) kind!: string;
  @IsString() @Length(1, 64) user_id!: string;
  @IsOptional() @IsUUID('all') conversation_id!: string | null;
  @IsOptional() @IsString() @Length(1, 128) client_id!: string | null;
  @IsIn(TASK_OUTCOMES as unknown as string[]) outcome!: TaskOutcome;
  @IsOptional() @IsString() @Length(0, 2000) error!: string | null;
  @IsOptional() @IsString() @Length(1, 100) model!: string | null;
  @ValidateNested() @Type(() => TokenUsageV2Dto) usage!: TokenUsageV2Dto;
  @IsInt() @Min(0) @Max(MAX_ABS_TOKENS_DELTA) tokens_delta!: number;
  @IsOptional() @IsISO8601({ strict: true, strictSeparator: true }) started_at!: string | null;
  @IsISO8601({ strict: true, strictSeparator: true }) completed_at!: string;
}

/** task.completed v1. Read in the v2 shape (no tenant). */
export const taskCompletedV1 = defineContract<typeof TASK_COMPLETED, TaskCompletedV1, TaskCompletedV2>({
  type: TASK_COMPLETED,
  version: 1,
  schema: TaskCompletedV1Dto,
  nested: { usage: TokenUsageV2Dto },
  check(data) {
    const problems: string[] = [];
    if (!USER_ID.test(data.user_id)) problems.push(`data.user_id: ${USER_ID_PROBLEM}`);
    if (!TASK_KIND_PATTERN.test(data.kind)) problems.push('data.kind: must be a lower-case slug such as title_generation');
    for (const field of ['source', 'external_id', 'client_id', 'error', 'model'] as const) {
      const value = data[field];
      if (value !== null && value !== undefined && !isSafeText(value)) problems.push(`data.${field}: must be well-formed text without NUL characters`);
    }
    problems.push(...usageProblems(data.usage));
    if (data.tokens_delta !== data.usage.total_tokens) problems.push(`data.tokens_delta: must equal usage.total_tokens (${data.usage.total_tokens})`);
    for (const field of ['started_at', 'completed_at'] as const) {
      const value = data[field];
      const problem = value ? rfc3339Problem(value) : undefined;
      if (problem) problems.push(`data.${field}: ${problem}`);
    }
    return problems;
  },
  normalise(data) {
    return {
      task_id: data.task_id.toLowerCase(),
      source: data.source,
      external_id: data.external_id,
      kind: data.kind,
      user_id: data.user_id,
      conversation_id: data.conversation_id ? data.conversation_id.toLowerCase() : null,
      client_id: data.client_id ?? null,
      outcome: data.outcome,
      error: data.error ?? null,
      model: data.model ?? null,
      usage: data.usage,
      tokens_delta: data.tokens_delta,
      started_at: data.started_at ? data.started_at.toUpperCase() : null,
      completed_at: data.completed_at.toUpperCase(),
      ...NO_TENANT,
    };
  },
});
