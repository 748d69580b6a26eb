import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { EventEnvelope } from '../../../envelope/event-envelope';
import { defineContract } from '../../../registry/event-contract';
import { MAX_ABS_TOKENS_DELTA } from '../../../topics';
import { TokenUsageV2Dto } from '../../chat-message-recorded/v2/chat-message-recorded-v2.event';
import { IsTenantId, normaliseTenant, TenantFields } from '../../tenant';
import { TASK_COMPLETED, TASK_OUTCOMES, TaskCompletedV1, taskCompletedV1, TaskOutcome } from '../v1/task-completed-v1.event';

/** v1 plus the tenant of the task (fixed when the task was created). */
export interface TaskCompletedV2 extends TaskCompletedV1, TenantFields {}

export type TaskCompletedV2Event = EventEnvelope<typeof TASK_COMPLETED, TaskCompletedV2>;

export class TaskCompletedV2Dto implements TaskCompletedV2 {
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
  @IsTenantId() org_id!: string | null;
  @IsTenantId() project_id!: string | null;
  @IsTenantId() api_key_id!: string | null;
}

/** task.completed v2: v1 plus org_id, project_id and api_key_id. The gateway writes this version. */
export const taskCompletedV2 = defineContract<typeof TASK_COMPLETED, TaskCompletedV2>({
  type: TASK_COMPLETED,
  version: 2,
  schema: TaskCompletedV2Dto,
  nested: { usage: TokenUsageV2Dto },
  check(data) {
    return taskCompletedV1.check!(data);
  },
  normalise(data) {
    // Object.assign onto the fresh object, not a spread: this runs for every event (spreads take a slow path in V8).
    return Object.assign(taskCompletedV1.normalise(data), normaliseTenant(data));
  },
});
