import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal, RequireScopes, Scopes, RateLimitedWrite } from '@chat-ledger/platform';
import { idempotencyScopeOf, sendIdempotent, traceparentOf } from '../messages/http-write-context';
import { CreateTokenAdjustmentDto } from './dto/create-token-adjustment.dto';
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
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTokenAdjustmentDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.recordAdjustment.execute({
      adjustment: dto,
      idempotency: idempotencyScopeOf(req, principal, req.body),
      traceparent: traceparentOf(req),
    });
    return sendIdempotent(res, result);
  }
}
