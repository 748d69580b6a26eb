import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { TASK_KIND_PATTERN } from '@chat-ledger/contracts';
import { IsSafeText, USER_ID_PATTERN } from '@chat-ledger/platform';
import { ServiceTenantDto } from '../../tenants/dto/tenant-fields.dto';

export const TASK_SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const TASK_EXTERNAL_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export class CreateTaskDto extends ServiceTenantDto {
  @ApiProperty({ example: 'title-worker', description: 'the system that runs the task; with external_id its idempotency key' })
  @IsString()
  @Matches(TASK_SOURCE_PATTERN, { message: 'must be 1 to 64 of [A-Za-z0-9_.:-], starting with a letter or digit' })
  source!: string;

  @ApiProperty({ example: 'job-8f3a', description: "the task's id in that system" })
  @IsString()
  @Matches(TASK_EXTERNAL_ID_PATTERN, { message: 'must be 1 to 128 printable ASCII characters without spaces' })
  external_id!: string;

  @ApiProperty({ example: 'title_generation', description: 'open text, lower-case slug: title_generation, summarisation, agent_run, indexing, …' })
  @IsString()
  @Matches(TASK_KIND_PATTERN, { message: 'must be a lower-case slug of at most 64 characters, such as title_generation' })
  kind!: string;

  @ApiProperty({ maxLength: 64, description: "whose work it is (their usage and budget): a user of the token's organisation" })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' })
  user_id!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiPropertyOptional({ example: 'worker-3', description: 'which worker runs it' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @IsSafeText()
  client_id?: string;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(1_000_000_000_000)
  total_items?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'free JSON, at most TASK_METADATA_MAX_BYTES' })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}
