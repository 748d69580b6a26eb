import { Body, Controller, Get, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrorResponses, CsvExport, CsvExportInterceptor, CurrentPrincipal, ErrorCode, Principal, RateLimitedWrite } from '@chat-ledger/platform';
import { UuidParam } from '../conversations/conversations.controller';
import { ChatMessageDto, RecordMessageDto } from './dto/record-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessagePage, RecordedMessageResponse } from './dto/message.response';
import { ApiIdempotentWrite, idempotencyScopeOf, sendIdempotent, traceparentOf } from './http-write-context';
import { MessageHistoryService } from './message-history.service';
import { RecordMessageUseCase } from './record-message.use-case';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1')
export class MessagesController {
  constructor(
    private readonly recordMessage: RecordMessageUseCase,
    private readonly history: MessageHistoryService,
  ) {}

  @Post('conversations/:id/messages')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Records a message with its token usage in one of your conversations (and its event in the outbox)' })
  @ApiIdempotentWrite(RecordedMessageResponse, 201, 'recorded')
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound, ErrorCode.TenantMismatch)
  async record(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') conversationId: string,
    @Body() dto: RecordMessageDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RecordedMessageResponse> {
    const result = await this.recordMessage.execute({
      principal,
      conversationId,
      message: dto,
      idempotency: idempotencyScopeOf(req, principal, req.body),
      traceparent: traceparentOf(req),
    });
    return sendIdempotent(res, result);
  }

  @Post('chat/messages')
  @RateLimitedWrite()
  @ApiOperation({ summary: 'Records a message; without conversation_id in a new conversation' })
  @ApiIdempotentWrite(RecordedMessageResponse, 201, 'recorded')
  @ApiErrorResponses(ErrorCode.ConversationNotFound, ErrorCode.TenantMismatch)
  async chat(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChatMessageDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RecordedMessageResponse> {
    const { conversation_id: conversationId, project_id: projectId, ...message } = dto;
    const result = await this.recordMessage.execute({
      principal,
      conversationId,
      projectId,
      message,
      idempotency: idempotencyScopeOf(req, principal, req.body),
      traceparent: traceparentOf(req),
    });
    return sendIdempotent(res, result);
  }

  @Get('conversations/:id/messages')
  @ApiOperation({ summary: "A conversation's messages, oldest first, keyset-paginated" })
  @ApiOkResponse({ type: MessagePage })
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound)
  @UseInterceptors(CsvExportInterceptor)
  @CsvExport({ name: 'messages', rows: (page) => page.list, nextCursor: (page) => page.next_cursor })
  list(@CurrentPrincipal() principal: Principal, @UuidParam('id') conversationId: string, @Query() query: ListMessagesQueryDto): Promise<MessagePage> {
    return this.history.list(principal.userId, conversationId, query);
  }
}
