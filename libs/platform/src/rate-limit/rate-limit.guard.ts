import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '../auth/jwt';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { TokenBuckets } from './token-bucket';

export const RATE_LIMITED = 'rate-limit:writes';
/** Marks a write endpoint: it counts against the caller's per-user write budget. */
export const RateLimitedWrite = () => SetMetadata(RATE_LIMITED, true);

export interface RateLimitOptions {
  /** Sustained writes per second per user; 0 disables the limit. */
  perSecond: number;
  burst: number;
}
export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');

/** Runs after AuthGuard (it needs the principal), so limits are per user, not per IP. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets: TokenBuckets | undefined;

  constructor(
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_OPTIONS) options: RateLimitOptions,
  ) {
    this.buckets = options.perSecond > 0 ? new TokenBuckets(options.burst, options.perSecond) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.buckets || !this.reflector.getAllAndOverride<boolean>(RATE_LIMITED, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const principal = context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
    if (!principal) return true;
    const retryAfter = this.buckets.take(principal.userId);
    if (retryAfter > 0) {
      throw new DomainError(ErrorCode.RateLimited, 'too many write requests', [{ field: 'user', problem: `retry after ${retryAfter} s` }], {
        'Retry-After': String(retryAfter),
      });
    }
    return true;
  }
}
