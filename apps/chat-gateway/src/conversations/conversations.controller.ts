import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CsvExport, CsvExportInterceptor, CurrentPrincipal, DomainError, Principal, RateLimitedWrite } from '@chat-ledger/platform';
import { ConversationsService } from './conversations.service';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { ListConversationsQueryDto } from './dto/list-conversations.query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

/** Path ids are UUIDs; anything else is a client error that names the parameter. */
export const UuidParam = (name: string) =>
  Param(
    name,
    new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalidField(name === 'id' ? 'conversation_id' : name, 'must be a UUID') }),
  );

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(private readonly service: ConversationsService) {}

  @Post()
  @RateLimitedWrite()
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateConversationDto) {
    return this.service.create(principal.userId, dto);
  }

  @Get()
  @UseInterceptors(CsvExportInterceptor)
  @CsvExport({ name: 'conversations', rows: (page) => page.list, nextCursor: (page) => page.next_cursor })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListConversationsQueryDto) {
    return this.service.list(principal.userId, query);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string) {
    return this.service.get(principal.userId, id);
  }

  @Patch(':id')
  @RateLimitedWrite()
  update(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string, @Body() dto: UpdateConversationDto) {
    return this.service.update(principal.userId, id, dto);
  }

  @Delete(':id')
  @RateLimitedWrite()
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.service.delete(principal.userId, id);
  }
}
