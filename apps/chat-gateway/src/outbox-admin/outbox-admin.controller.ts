import { Body, Controller, Get, HttpCode, Param, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses, CrossTenant, CurrentPrincipal, DomainError, ErrorCode, Principal, RequireScopes, Scopes } from '@chat-ledger/platform';
import {
  ListOutboxQueryDto,
  OutboxAdminService,
  OutboxPage,
  OutboxRowResponse,
  OutboxStats,
  ReplayOutboxDto,
  ReplayResult,
  SkipOutboxDto,
  SkipResult,
} from '@chat-ledger/outbox';

/** Outbox ids are positive bigints; kept as strings (no float rounding). */
class OutboxIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !/^[1-9]\d{0,17}$/.test(value)) throw DomainError.invalidField('id', 'must be a positive integer');
    return value;
  }
}

const ApiOutboxId = () => ApiParam({ name: 'id', description: 'the outbox row id', schema: { type: 'string', pattern: '^[1-9]\\d{0,17}$', example: '42' } });

/** Operators only (scope outbox:admin): inspect the outbox, replay ranges, bring dead rows back. */
@ApiTags('outbox-admin')
@ApiBearerAuth()
@RequireScopes(Scopes.outboxAdmin)
@CrossTenant()
@Controller('v1/admin/outbox')
export class OutboxAdminController {
  constructor(private readonly service: OutboxAdminService) {}

  /** Rows filtered by status, type, user and creation time; keyset pages on id, newest (`-id`) or oldest (`id`) first. */
  @Get()
  @ApiOperation({ summary: 'Outbox rows by status, type, user and creation time, keyset-paginated on id' })
  @ApiOkResponse({ type: OutboxPage })
  list(@Query() query: ListOutboxQueryDto): Promise<OutboxPage> {
    return this.service.list(query);
  }

  /** Backlog, lag, dead rows, throughput of the last minute, and which relay holds which shards. */
  @Get('stats')
  @ApiOperation({ summary: 'Backlog, lag, dead rows, throughput of the last minute, held users and the relays with their shards' })
  @ApiOkResponse({ type: OutboxStats })
  stats(): Promise<OutboxStats> {
    return this.service.stats();
  }

  /**
   * Publishes matched rows again with their original event ids and payloads (the ledger applies each
   * event id once). 202: the relay does it shortly; 200 for a dry run, which only counts.
   */
  @Post('replay')
  @ApiOperation({ summary: 'Publishes matched rows again with their original event ids (audited); dry_run only counts' })
  @ApiOkResponse({ type: ReplayResult, description: 'dry run: the rows that would be replayed, counted' })
  @ApiAcceptedResponse({ type: ReplayResult, description: 'marked for publishing; the relay publishes them shortly' })
  async replay(@CurrentPrincipal() principal: Principal, @Body() dto: ReplayOutboxDto, @Res({ passthrough: true }) res: Response): Promise<ReplayResult> {
    const result = await this.service.replay(principal.userId, dto);
    res.status(result.dry_run ? 200 : 202);
    return result;
  }

  /** Gives up on a dead row, with a reason (audited): it is never published unless replayed; its user's later rows go on. */
  @Post(':id/skip')
  @HttpCode(200)
  @ApiOperation({ summary: "Gives up on a dead row, with a reason (audited); its user's later rows go on" })
  @ApiOutboxId()
  @ApiOkResponse({ type: SkipResult })
  @ApiErrorResponses(400, ErrorCode.OutboxEventNotFound, ErrorCode.OutboxEventNotDead)
  skip(@CurrentPrincipal() principal: Principal, @Param('id', new OutboxIdPipe()) id: string, @Body() dto: SkipOutboxDto): Promise<SkipResult> {
    return this.service.skip(principal.userId, id, dto);
  }

  /** A dead row back to pending (404 unknown id, 409 when it is not dead). */
  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'A dead row back to pending' })
  @ApiOutboxId()
  @ApiOkResponse({ type: OutboxRowResponse, description: 'the row, pending again' })
  @ApiErrorResponses(400, ErrorCode.OutboxEventNotFound, ErrorCode.OutboxEventNotDead)
  retry(@CurrentPrincipal() principal: Principal, @Param('id', new OutboxIdPipe()) id: string): Promise<OutboxRowResponse> {
    return this.service.retry(principal.userId, id);
  }
}
