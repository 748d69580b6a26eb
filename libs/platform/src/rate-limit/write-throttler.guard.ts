import { applyDecorators, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Principal } from '../auth/jwt';
import { ApiErrorResponses } from '../errors/api-error-responses';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

export const RATE_LIMITED = 'rate-limit:writes';
/** Marks a write endpoint: it counts against the caller's per-user write budget; documents the 429. */
export const RateLimitedWrite = () => applyDecorators(SetMetadata(RATE_LIMITED, true), ApiErrorResponses(429));

export interface WriteRateLimit {
  /** Sustained writes per second per user; 0 disables the limit. */
  perSecond: number;
  /** Writes a user may send at once. */
  burst: number;
}

const THROTTLER_NAME = 'writes';

/**
 * @nestjs/throttler's options for the per-user write budget: `burst` writes within any window of
 * burst / perSecond seconds, which is `perSecond` sustained. No block on top (blockDuration 0): a
 * refused write is not counted, so a client retrying after Retry-After gets in as soon as the oldest
 * write of its window ages out.
 */
export function writeThrottlerOptions(limit: WriteRateLimit): ThrottlerModuleOptions {
  if (limit.perSecond <= 0) return { throttlers: [] };
  return {
    throttlers: [{ name: THROTTLER_NAME, limit: limit.burst, ttl: Math.max(1, Math.round((limit.burst / limit.perSecond) * 1000)), blockDuration: 0 }],
    // Retry-After comes with our error; X-RateLimit-* headers on every write were never part of the API.
    setHeaders: false,
  };
}

/**
 * ThrottlerGuard keyed on the authenticated user instead of the IP, for @RateLimitedWrite routes only,
 * with one budget per user across all of them. Runs after AuthGuard (it needs the principal). Per
 * instance (in-memory storage): behind a balancer with N gateways a user gets up to N times the limit.
 */
@Injectable()
export class WriteThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const marked = this.reflector.getAllAndOverride<boolean>(RATE_LIMITED, [context.getHandler(), context.getClass()]);
    return !marked || !context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (req.principal as Principal).userId;
  }

  /** The default key includes the route; writes share one budget per user. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    throw new DomainError(ErrorCode.RateLimited, 'too many write requests', [{ field: 'user', problem: `retry after ${retryAfter} s` }], {
      'Retry-After': String(retryAfter),
    });
  }
}
