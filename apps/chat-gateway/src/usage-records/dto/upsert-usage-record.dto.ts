import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsChannel, IsOperation } from '@chat-ledger/contracts';
import { IsSafeText, USER_ID_PATTERN } from '@chat-ledger/platform';
import { UsageDto } from '../../messages/dto/record-message.dto';
import { ServiceTenantDto } from '../../tenants/dto/tenant-fields.dto';

/**
 * Body of PUT /v1/usage-records/:source/:external_id: one revision of a usage record. Its tenant (org_id,
 * project_id, api_key_id) is fixed by the first revision too; a later one may repeat it or leave it out.
 */
export class UpsertUsageRecordDto extends ServiceTenantDto {
  @ApiProperty({ maxLength: 64, description: "whose usage it is (a user of the token's organisation); fixed by the record's first revision" })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'must be 1 to 64 printable ASCII characters without spaces' })
  user_id!: string;

  @ApiPropertyOptional({ description: 'a conversation of that user the usage belongs to; fixed by the first revision' })
  @IsOptional()
  @IsUUID('all')
  conversation_id?: string;

  @ApiPropertyOptional({
    maxLength: 100,
    example: 'gpt-4o',
    description: 'priced like a message of this model; without one the usage is unpriced. Fixed by the first revision',
  })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsSafeText()
  model?: string;

  @ApiProperty({
    type: UsageDto,
    description: "this revision's full usage (not a difference): the ledger counts the difference to the revision it counted before",
  })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UsageDto)
  usage!: UsageDto;

  @ApiProperty({
    example: '2026-11-23T10:00:00.123456Z',
    description: 'when the usage happened: RFC 3339 with a zone (Z or ±hh:mm, converted to UTC), at most microseconds. Priced at the price in effect then',
  })
  @IsString()
  occurred_at!: string;

  @ApiProperty({
    minimum: 1,
    example: 1,
    description:
      "the reporter's revision, a positive integer: a higher one replaces the record's numbers, a lower or equal one arriving late changes nothing, the same one with other numbers is a 409",
  })
  @IsInt({ message: 'must be a positive integer' })
  @Min(1, { message: 'must be a positive integer' })
  @Max(Number.MAX_SAFE_INTEGER)
  revision!: number;

  @ApiPropertyOptional({ example: 'api', description: 'where the usage came from: a lower-case slug; fixed by the first revision' })
  @IsOptional()
  @IsString()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({
    example: 'agent_step',
    description: 'what kind of work: a lower-case slug (agent_step, indexing, batch_job, …); fixed by the first revision',
  })
  @IsOptional()
  @IsString()
  @IsOperation()
  operation?: string;
}
