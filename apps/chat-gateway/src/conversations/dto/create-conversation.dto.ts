import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsSafeText, MaxUtf8Bytes } from '@chat-ledger/platform';
import { IsTenantIdField } from '../../tenants/dto/tenant-fields.dto';

export class CreateConversationDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @IsSafeText()
  title?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'gpt-4o' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsSafeText()
  model?: string;

  @ApiPropertyOptional({ description: 'up to 64 KiB of UTF-8' })
  @IsOptional()
  @IsString()
  @Length(1, 65_536)
  @MaxUtf8Bytes(65_536)
  @IsSafeText()
  system_prompt?: string;

  @ApiPropertyOptional({ maxLength: 64, description: "the project the conversation's usage counts in (default: the token's project_id claim)" })
  @IsOptional()
  @IsString()
  @IsTenantIdField()
  project_id?: string;
}
