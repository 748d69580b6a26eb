import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export const CONVERSATION_SORTS = ['activity', 'created'] as const;
export type ConversationSort = (typeof CONVERSATION_SORTS)[number];

/** Query strings arrive as strings; only canonical integers become numbers, anything else fails validation. */
export const QueryInt = () => Transform(({ value }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value));

export class ListConversationsQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  page_size: number = 20;

  @ApiPropertyOptional({ enum: ['active', 'archived'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'archived'])
  status: 'active' | 'archived' = 'active';

  @ApiPropertyOptional({
    enum: CONVERSATION_SORTS,
    default: 'activity',
    description:
      'activity: newest activity first (a conversation moves to the top when a message arrives); created: newest first by creation, an order that never moves',
  })
  @IsOptional()
  @IsIn(CONVERSATION_SORTS as unknown as string[])
  sort: ConversationSort = 'activity';

  @ApiPropertyOptional({ description: 'next_cursor of the previous page (instead of page): keyset paging, with sort=created stable while messages arrive' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  cursor?: string;
}
