import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrorResponses, CurrentPrincipal, ErrorCode, Principal, RequireScopes, Scopes, RateLimitedWrite } from '@chat-ledger/platform';
import { ApiIdempotentWrite, idempotencyScopeOf, sendIdempotent, traceparentOf } from '../messages/http-write-context';
import { CreateTokenAdjustmentDto } from './dto/create-token-adjustment.dto';
import { TokenAdjustmentAccepted } from './dto/token-adjustment.response';
import { RecordTokenAdjustmentUseCase } from './record-token-adjustment.use-case';

@ApiTags('token-adjustments')
@ApiBearerAuth()
@Controller('v1/token-adjustments')
export class TokenAdjustmentsController {
  constructor(private readonly recordAdjustment: RecordTokenAdjustmentUseCase) {}

  /** For internal services (scope tokens:adjust): tokens spent outside a chat round, refunds, corrections. */
  @Post()
  @RateLimitedWrite()
  @RequireScopes(Scopes.tokensAdjust)
  @ApiOperation({ summary: 'Adds a signed token delta for a user (scope tokens:adjust), optionally attached to a conversation or message' })
  @ApiIdempotentWrite(TokenAdjustmentAccepted, 202, 'in the outbox; the ledger applies it once its event arrives')
  @ApiErrorResponses(ErrorCode.TenantMismatch)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTokenAdjustmentDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenAdjustmentAccepted> {
    const result = await this.recordAdjustment.execute({
      principal,
      adjustment: dto,
      idempotency: idempotencyScopeOf(req, principal, req.body),
      traceparent: traceparentOf(req),
    });
    return sendIdempotent(res, result);
  }
}
