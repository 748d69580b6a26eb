import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** Why an operator gives up on a dead row (kept in outbox.skips with who did it). */
export class SkipOutboxDto {
  @ApiProperty({ example: 'payload rejected by the topic; the user was refunded by hand', minLength: 3, maxLength: 500 })
  @IsString()
  @Length(3, 500)
  @Matches(/\S/, { message: 'must not be blank' })
  reason!: string;
}
