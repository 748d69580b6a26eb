import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class DeleteConversationQueryDto {
  @ApiPropertyOptional({
    description: 'true: remove the conversation and its messages for good (default: soft delete, hidden everywhere, content kept)',
    default: false,
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  purge?: boolean;
}
