import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UsageDto } from '../../messages/dto/record-message.dto';

const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];
const nullable = (type: typeof String | typeof Number, extra: Record<string, unknown> = {}) => ({ type, nullable: true, ...extra });

export class TaskResponse {
  @ApiProperty({ format: 'uuid' }) task_id!: string;
  @ApiProperty() source!: string;
  @ApiProperty() external_id!: string;
  @ApiProperty({ example: 'title_generation' }) kind!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty(nullable(String, { format: 'uuid' })) conversation_id!: string | null;
  @ApiProperty(nullable(String)) client_id!: string | null;
  @ApiProperty(nullable(String, { description: 'the organisation the task (and its usage) counts in' })) org_id!: string | null;
  @ApiProperty(nullable(String)) project_id!: string | null;
  @ApiProperty(nullable(String)) api_key_id!: string | null;
  @ApiProperty(nullable(Number)) total_items!: number | null;
  @ApiProperty() processed_items!: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'GET of one task only' }) metadata?: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ enum: STATUSES }) status!: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty(nullable(String)) message!: string | null;
  @ApiProperty(nullable(String, { description: 'who completed it (the creating service, or an operator)' })) completed_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty(nullable(String, { format: 'date-time' })) started_at!: string | null;
  @ApiProperty({ format: 'date-time', description: 'the last heartbeat' }) last_update_at!: string;
  @ApiProperty(nullable(String, { format: 'date-time' })) completed_at!: string | null;
  @ApiProperty(nullable(String, { format: 'date-time', description: "from the task's own rate: started_at + elapsed × 100 / progress" }))
  estimated_completion_at!: string | null;
  @ApiProperty({ description: 'open and without a heartbeat for TASK_STALL_AFTER' }) stalled!: boolean;
  @ApiProperty(nullable(String)) error!: string | null;
  @ApiProperty(nullable(String)) model!: string | null;
  @ApiProperty({ type: UsageDto, nullable: true, description: 'the usage reported at completion' }) usage!: UsageDto | null;
  @ApiProperty({ description: 'tokens the ledger has counted for the task so far' }) tokens!: number;
  @ApiProperty(nullable(Number, { description: 'their cost in micro-units; null while nothing of it is priced' })) cost_micros!: number | null;
  @ApiProperty() unpriced_events!: number;
}

export class RunningTasksPage {
  @ApiProperty({ description: 'open tasks the filter matches (all pages)' }) total_tasks!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { running: 3, pending: 1 } }) by_status!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { title_generation: 4 } }) by_kind!: Record<string, number>;
  @ApiProperty({ type: [TaskResponse] }) tasks!: TaskResponse[];
  @ApiProperty(nullable(String, { description: 'cursor of the next page; null on the last page' })) next_cursor!: string | null;
}
