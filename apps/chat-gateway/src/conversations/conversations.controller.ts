import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrorResponses,
  CsvExport,
  CsvExportInterceptor,
  CurrentPrincipal,
  DomainError,
  ErrorCode,
  Principal,
  RateLimitedWrite,
} from '@chat-ledger/platform';
import { ConversationsService } from './conversations.service';
import { ConversationPage, ConversationResponse } from './dto/conversation.response';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { DeleteConversationQueryDto } from './dto/delete-conversation.query.dto';
import { ListConversationsQueryDto } from './dto/list-conversations.query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

/** Path ids are UUIDs; anything else is a client error that names the parameter. */
export const UuidParam = (name: string) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalidField(name === 'id' ? 'conversation_id' : name, 'must be a UUID') }));

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(private readonly service: ConversationsService) {}

  @Post()
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Starts a conversation' })
  @ApiCreatedResponse({ type: ConversationResponse })
  @ApiErrorResponses(ErrorCode.TenantMismatch)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateConversationDto): Promise<ConversationResponse> {
    return this.service.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Your conversations with one status, newest activity (or creation) first; page or keyset cursor' })
  @ApiOkResponse({ type: ConversationPage })
  @UseInterceptors(CsvExportInterceptor)
  @CsvExport({ name: 'conversations', rows: (page) => page.list, nextCursor: (page) => page.next_cursor })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListConversationsQueryDto): Promise<ConversationPage> {
    return this.service.list(principal.userId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your conversations, with the tokens the ledger counted for it' })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound)
  get(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string): Promise<ConversationResponse> {
    return this.service.get(principal.userId, id);
  }

  @Patch(':id')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Renames (title: null clears it), archives or unarchives a conversation' })
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound)
  update(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string, @Body() dto: UpdateConversationDto): Promise<ConversationResponse> {
    return this.service.update(principal.userId, id, dto);
  }

  @Delete(':id')
  @RateLimitedWrite()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Soft-deletes a conversation (hidden everywhere from then on); with purge=true removes it and its messages for good',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound)
  async delete(@CurrentPrincipal() principal: Principal, @UuidParam('id') id: string, @Query() query: DeleteConversationQueryDto): Promise<void> {
    await this.service.delete(principal.userId, id, query.purge ?? false);
  }
}
