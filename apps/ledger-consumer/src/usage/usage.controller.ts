import { Controller, Get, Headers, Param, ParseUUIDPipe, PipeTransform, Query, StreamableFile, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ApiCsvAlternative,
  ApiErrorResponses,
  CsvExport,
  CsvExportInterceptor,
  CurrentPrincipal,
  DomainError,
  ErrorCode,
  Principal,
  USER_ID_PATTERN,
  wantsCsv,
} from '@chat-ledger/platform';
import { DailyQueryDto, EntriesQueryDto, SessionsQueryDto, SummaryQueryDto, TimelineQueryDto } from './dto/usage-queries.dto';
import {
  ConversationUsageResponse,
  DailyUsageResponse,
  UsageEntriesPage,
  UsageSessionsPage,
  UsageSummaryResponse,
  UsageTimelineResponse,
  UserUsageResponse,
} from './dto/usage-responses.dto';
import { UsageService } from './usage.service';

class UserIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
      throw DomainError.invalidField('user_id', 'must be 1 to 64 printable ASCII characters without spaces');
    }
    return value;
  }
}

const ConversationIdParam = () => Param('id', new ParseUUIDPipe({ exceptionFactory: () => DomainError.invalidField('conversation_id', 'must be a UUID') }));

/**
 * The usage read API. A user reads their own usage: naming another user is 403, another user's
 * conversation is 404 (it does not exist for you); scope usage:read_all reads anyone's.
 */
@ApiTags('usage')
@ApiBearerAuth()
@UseInterceptors(CsvExportInterceptor)
@Controller('v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('users/:user_id/usage')
  @CsvExport({ name: 'user-usage', rows: (body) => [body] })
  @ApiOperation({ summary: "A user's balance: tokens, messages counted, adjustments (zeros before any event)" })
  @ApiParam({ name: 'user_id', description: 'a user id (the JWT sub): 1 to 64 printable ASCII characters without spaces' })
  @ApiOkResponse({ type: UserUsageResponse })
  @ApiErrorResponses(400, 403)
  user(@CurrentPrincipal() principal: Principal, @Param('user_id', new UserIdPipe()) userId: string): Promise<UserUsageResponse> {
    return this.usage.user(principal, userId);
  }

  @Get('conversations/:id/usage')
  @CsvExport({ name: 'conversation-usage', rows: ({ by_reason: _r, by_model: _m, ...totals }) => [totals] })
  @ApiOperation({ summary: "A conversation's totals with the breakdown by reason and by model" })
  @ApiParam({ name: 'id', description: 'the conversation id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ type: ConversationUsageResponse, description: 'CSV: the totals, without the breakdowns' })
  @ApiErrorResponses(400, ErrorCode.ConversationNotFound)
  conversation(@CurrentPrincipal() principal: Principal, @ConversationIdParam() id: string): Promise<ConversationUsageResponse> {
    return this.usage.conversation(principal, id.toLowerCase());
  }

  @Get('usage/entries')
  @ApiOperation({ summary: 'The journal as consumption records, newest first, keyset-paginated; with Accept: text/csv every matching entry, streamed' })
  @ApiErrorResponses(403)
  @ApiOkResponse({ type: UsageEntriesPage })
  @ApiCsvAlternative('every entry the query matches (not one page; limit is ignored, cursor continues from there), streamed, as an attachment')
  entries(
    @CurrentPrincipal() principal: Principal,
    @Query() query: EntriesQueryDto,
    @Headers('accept') accept?: string,
  ): Promise<UsageEntriesPage | StreamableFile> {
    return wantsCsv(accept) ? this.usage.entriesCsv(principal, query) : this.usage.entries(principal, query);
  }

  @Get('usage/summary')
  @CsvExport({ name: 'usage-summary', rows: (body) => body.groups })
  @ApiOperation({ summary: 'Token sums and counts per model, reason, conversation, user or day' })
  @ApiErrorResponses(403)
  @ApiOkResponse({ type: UsageSummaryResponse, description: 'CSV: one line per group' })
  summary(@CurrentPrincipal() principal: Principal, @Query() query: SummaryQueryDto): Promise<UsageSummaryResponse> {
    return this.usage.summary(principal, query);
  }

  @Get('usage/timeline')
  @CsvExport({ name: 'usage-timeline', rows: (body) => body.buckets })
  @ApiOperation({ summary: 'Sums per hour, day, week or month in a time zone, empty buckets included' })
  @ApiErrorResponses(403)
  @ApiOkResponse({ type: UsageTimelineResponse, description: 'CSV: one line per bucket' })
  timeline(@CurrentPrincipal() principal: Principal, @Query() query: TimelineQueryDto): Promise<UsageTimelineResponse> {
    return this.usage.timeline(principal, query);
  }

  @Get('usage/daily')
  @CsvExport({ name: 'usage-daily', rows: (body) => body.list })
  @ApiOperation({ summary: 'Sums of the last N local days, today included' })
  @ApiErrorResponses(403)
  @ApiOkResponse({ type: DailyUsageResponse, description: 'CSV: one line per day' })
  daily(@CurrentPrincipal() principal: Principal, @Query() query: DailyQueryDto): Promise<DailyUsageResponse> {
    return this.usage.daily(principal, query);
  }

  @Get('usage/sessions')
  @CsvExport({ name: 'usage-sessions', rows: (body) => body.list })
  @ApiOperation({ summary: 'Per conversation: tokens, messages, first and last activity; most recent first' })
  @ApiErrorResponses(403)
  @ApiOkResponse({ type: UsageSessionsPage, description: 'CSV: one line per conversation' })
  sessions(@CurrentPrincipal() principal: Principal, @Query() query: SessionsQueryDto): Promise<UsageSessionsPage> {
    return this.usage.sessions(principal, query);
  }
}
