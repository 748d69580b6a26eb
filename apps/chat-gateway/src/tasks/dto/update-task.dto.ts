import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsSafeText } from '@chat-ledger/platform';

/** A heartbeat: any PATCH (even an empty one) says the task is alive. */
export class UpdateTaskDto {
  @ApiPropertyOptional({ enum: ['running'], description: 'pending → running (a final state only through /complete)' })
  @IsOptional()
  @IsIn(['running'], { message: 'must be running (a task is completed through POST /v1/tasks/:task_id/complete)' })
  status?: 'running';

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'percent; never decreases' })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(100)
  progress?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'never decreases' })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(1_000_000_000_000)
  processed_items?: number;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @Length(0, 1000)
  @IsSafeText()
  message?: string;
}
