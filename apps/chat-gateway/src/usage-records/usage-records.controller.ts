import { Body, Controller, Get, Param, PipeTransform, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { USAGE_RECORD_EXTERNAL_ID_PATTERN, USAGE_RECORD_ID_PROBLEM, USAGE_RECORD_SOURCE_PATTERN } from '@chat-ledger/contracts';
import { ApiErrorResponses, CurrentPrincipal, DomainError, ErrorCode, Principal, RateLimitedWrite, RequireScopes, Scopes } from '@chat-ledger/platform';
import { traceparentOf } from '../messages/http-write-context';
import { UpsertUsageRecordDto } from './dto/upsert-usage-record.dto';
import { UsageRecordHistoryResponse, UsageRecordUpsertResponse } from './dto/usage-record.response';
import { UpsertUsageRecordUseCase } from './upsert-usage-record.use-case';
import { UsageRecordsService } from './usage-records.service';

/** A path segment that must match `pattern`; anything else is a 400 naming the parameter. */
const PatternParam = (name: string, pattern: RegExp, max: number) =>
  Param(name, {
    transform: (value: string) => {
      if (!pattern.test(value)) throw DomainError.invalidField(name, USAGE_RECORD_ID_PROBLEM(max));
      return value;
    },
  } satisfies PipeTransform<string, string>);
const SourceParam = () => PatternParam('source', USAGE_RECORD_SOURCE_PATTERN, 100);
const ExternalIdParam = () => PatternParam('external_id', USAGE_RECORD_EXTERNAL_ID_PATTERN, 128);

@ApiTags('usage-records')
@ApiBearerAuth()
@ApiParam({ name: 'source', description: 'the system that metered the usage (agents, indexer, batch-jobs, …)', example: 'agents' })
@ApiParam({ name: 'external_id', description: "that system's own id for the record", example: 'run-42' })
@Controller('v1/usage-records/:source/:external_id')
export class UsageRecordsController {
  constructor(
    private readonly upsert: UpsertUsageRecordUseCase,
    private readonly records: UsageRecordsService,
  ) {}

  /** For background systems (scope usage:write): sync a record's usage, as often as needed, revision by revision. */
  @Put()
  @ApiOperation({ summary: 'sync one revision of a usage record (idempotent upsert)' })
  @ApiErrorResponses(400, ErrorCode.UsageRecordConflict, ErrorCode.TenantMismatch)
  @RateLimitedWrite()
  @RequireScopes(Scopes.usageWrite)
  @ApiCreatedResponse({ type: UsageRecordUpsertResponse, description: 'the first revision: counted in full' })
  @ApiOkResponse({ type: UsageRecordUpsertResponse, description: 'a later revision (counted as the difference), or one that changed nothing (changed: false)' })
  async put(
    @CurrentPrincipal() principal: Principal,
    @SourceParam() source: string,
    @ExternalIdParam() externalId: string,
    @Body() dto: UpsertUsageRecordDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UsageRecordUpsertResponse> {
    const result = await this.upsert.execute({ principal, source, externalId, record: dto, traceparent: traceparentOf(req) });
    res.status(result.status);
    return result.body;
  }

  /** The record's latest revision and its history (scope usage:write or usage:read_all). */
  @Get()
  @ApiOperation({ summary: 'a usage record: its latest revision and every accepted one' })
  @ApiOkResponse({ type: UsageRecordHistoryResponse })
  @ApiErrorResponses(400, 403, ErrorCode.UsageRecordNotFound)
  async get(
    @CurrentPrincipal() principal: Principal,
    @SourceParam() source: string,
    @ExternalIdParam() externalId: string,
  ): Promise<UsageRecordHistoryResponse> {
    // Either scope will do, which RequireScopes (all of them) cannot say.
    if (!principal.scopes.has(Scopes.usageWrite) && !principal.scopes.has(Scopes.usageReadAll)) {
      throw new DomainError(ErrorCode.Forbidden, `missing scope: ${Scopes.usageWrite} or ${Scopes.usageReadAll}`, [
        { field: 'scope', problem: `requires ${Scopes.usageWrite} or ${Scopes.usageReadAll}` },
      ]);
    }
    return this.records.get(principal, source, externalId);
  }
}
