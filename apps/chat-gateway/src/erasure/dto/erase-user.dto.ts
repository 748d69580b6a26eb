import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class EraseUserDto {
  @ApiPropertyOptional({ description: 'count what would be erased, change nothing', default: false })
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  dry_run?: boolean;
}
