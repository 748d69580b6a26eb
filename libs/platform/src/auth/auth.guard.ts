import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { requestContext } from '../logging/request-context';
import { IS_PUBLIC, REQUIRED_SCOPES } from './auth.decorators';
import { JwtError, JwtKeysUnavailableError, JwtVerifier, Principal } from './jwt';

/** An identity provider that is down fails every request: one warning per this interval is enough. */
const KEYS_WARNING_INTERVAL_MS = 10_000;

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');
  private lastKeysWarningAt = 0;

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const header = request.headers['authorization'];
    const match = header ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (!match) {
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'missing bearer token',
        [{ field: 'authorization', problem: 'expected "Authorization: Bearer <token>"' }],
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    let principal: Principal;
    try {
      principal = await this.verifier.verify(match[1]!);
    } catch (error) {
      if (error instanceof JwtKeysUnavailableError) {
        if (Date.now() - this.lastKeysWarningAt >= KEYS_WARNING_INTERVAL_MS) {
          this.lastKeysWarningAt = Date.now();
          this.logger.warn({
            msg: 'the JWKS (JWT_JWKS_URL) cannot be fetched; requests with tokens of its keys answer 503',
            error: String((error.cause as Error)?.message ?? error.cause),
          });
        }
        throw new DomainError(ErrorCode.ServiceUnavailable, error.message, [{ field: 'authorization', problem: error.message }], { 'Retry-After': '5' });
      }
      const problem = error instanceof JwtError ? error.message : 'invalid token';
      throw new DomainError(ErrorCode.Unauthenticated, problem, [{ field: 'authorization', problem }], {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      });
    }
    request.principal = principal;
    // The request context is an AsyncLocalStorage store: the await above keeps it, so later log lines carry the user.
    const ctx = requestContext.getStore();
    if (ctx) ctx.userId = principal.userId;

    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const missing = required.filter((scope) => !principal.scopes.has(scope));
    if (missing.length > 0) {
      throw new DomainError(ErrorCode.Forbidden, `missing scope: ${missing.join(' ')}`, [{ field: 'scope', problem: `requires ${missing.join(' ')}` }]);
    }
    return true;
  }
}
