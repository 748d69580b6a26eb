import { Body, Controller, Get, HttpCode, Param, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, DomainError, Principal, RequireScopes, Scopes } from '@chat-ledger/platform';
import { ListOutboxQueryDto, OutboxAdminService, ReplayOutboxDto, SkipOutboxDto } from '@chat-ledger/outbox';

/** Outbox ids are positive bigints; kept as strings (no float rounding). */
class OutboxIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !/^[1-9]\d{0,17}$/.test(value)) throw DomainError.invalidField('id', 'must be a positive integer');
    return value;
  }
}

/** Operators only (scope outbox:admin): inspect the outbox, replay ranges, bring dead rows back. */
@ApiTags('outbox-admin')
@ApiBearerAuth()
@RequireScopes(Scopes.outboxAdmin)
@Controller('v1/admin/outbox')
export class OutboxAdminController {
  constructor(private readonly service: OutboxAdminService) {}

  /** Rows filtered by status, type, user and creation time; keyset pages on id, newest (`-id`) or oldest (`id`) first. */
  @Get()
  list(@Query() query: ListOutboxQueryDto) {
    return this.service.list(query);
  }

  /** Backlog, lag, dead rows, throughput of the last minute, and which relay holds which shards. */
  @Get('stats')
  stats() {
    return this.service.stats();
  }

  /**
   * Publishes matched rows again with their original event ids and payloads (the ledger applies each
   * event id once). 202: the relay does it shortly; 200 for a dry run, which only counts.
   */
  @Post('replay')
  async replay(@CurrentPrincipal() principal: Principal, @Body() dto: ReplayOutboxDto, @Res({ passthrough: true }) res: Response) {
    const result = await this.service.replay(principal.userId, dto);
    res.status(result.dry_run ? 200 : 202);
    return result;
  }

  /** Gives up on a dead row, with a reason (audited): it is never published unless replayed; its user's later rows go on. */
  @Post(':id/skip')
  @HttpCode(200)
  skip(@CurrentPrincipal() principal: Principal, @Param('id', new OutboxIdPipe()) id: string, @Body() dto: SkipOutboxDto) {
    return this.service.skip(principal.userId, id, dto);
  }

  /** A dead row back to pending (404 unknown id, 409 when it is not dead). */
  @Post(':id/retry')
  @HttpCode(200)
  retry(@CurrentPrincipal() principal: Principal, @Param('id', new OutboxIdPipe()) id: string) {
    return this.service.retry(principal.userId, id);
  }
}
