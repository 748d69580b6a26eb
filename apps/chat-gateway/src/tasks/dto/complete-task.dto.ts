import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { TASK_OUTCOMES, TaskOutcome } from '@chat-ledger/contracts';
import { IsSafeText } from '@chat-ledger/platform';
import { UsageDto } from '../../messages/dto/record-message.dto';

export class CompleteTaskDto {
  @ApiProperty({ enum: TASK_OUTCOMES })
  @IsIn(TASK_OUTCOMES as unknown as string[], { message: `must be one of ${TASK_OUTCOMES.join(', ')}` })
  outcome!: TaskOutcome;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @IsSafeText()
  error?: string;

  @ApiPropertyOptional({ type: UsageDto, description: 'what the task spent; counted once, priced like a message' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsageDto)
  usage?: UsageDto;

  @ApiPropertyOptional({ maxLength: 100, example: 'gpt-4o-mini' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsSafeText()
  model?: string;
}
