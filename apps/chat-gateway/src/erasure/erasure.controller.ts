import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, CurrentPrincipal, DomainError, ErrorCode, Principal, RequireScopes, Scopes, USER_ID_PATTERN } from '@chat-ledger/platform';
import { EraseUserDto } from './dto/erase-user.dto';
import { ErasureResponse } from './dto/erasure.response';
import { ErasureService } from './erasure.service';

@ApiTags('erasure')
@ApiBearerAuth()
@Controller('v1/admin/users')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  /**
   * No Idempotency-Key: the request is idempotent by nature, and a stored response (or the hash of a request
   * whose path names the user) would keep the user id after the erasure.
   */
  @Post(':user_id/erase')
  @HttpCode(200)
  @RequireScopes(Scopes.usersErase)
  @ApiOperation({
    summary:
      "Erases a user's data for good (audited; idempotent; dry_run counts only): conversations, messages, tasks, budget, usage records, " +
      'outbox rows; the ledger then pseudonymises their usage (totals unchanged)',
  })
  @ApiOkResponse({ type: ErasureResponse })
  @ApiErrorResponses(400, ErrorCode.TenantMismatch)
  erase(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string, @Body() dto: EraseUserDto): Promise<ErasureResponse> {
    if (!USER_ID_PATTERN.test(userId)) throw DomainError.invalidField('user_id', 'must be 1 to 64 printable ASCII characters without spaces');
    return this.erasure.erase(principal, userId, dto.dry_run ?? false);
  }
}
