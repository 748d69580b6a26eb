import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from './error-code';

/** The one map from domain error to HTTP status; `Record` makes it exhaustive at compile time. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, HttpStatus> = {
  [ErrorCode.ValidationFailed]: HttpStatus.BAD_REQUEST,
  [ErrorCode.MalformedJson]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.PayloadTooLarge]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorCode.TenantMismatch]: HttpStatus.FORBIDDEN,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.ConversationNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.ConversationDeleted]: HttpStatus.CONFLICT,
  [ErrorCode.OutboxEventNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.OutboxEventNotDead]: HttpStatus.CONFLICT,
  [ErrorCode.PriceNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.PriceVersionExists]: HttpStatus.CONFLICT,
  [ErrorCode.BudgetNotFound]: HttpStatus.NOT_FOUND,
  // A round that would pass a hard budget: like a rate limit, it may be retried once the period resets.
  [ErrorCode.BudgetExceeded]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.UsageRecordNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.UsageRecordConflict]: HttpStatus.CONFLICT,
  [ErrorCode.IdempotencyKeyReused]: HttpStatus.CONFLICT,
  [ErrorCode.IdempotencyKeyInProgress]: HttpStatus.CONFLICT,
  [ErrorCode.MethodNotAllowed]: HttpStatus.METHOD_NOT_ALLOWED,
  [ErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.ServiceUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  // Nothing was written; the client may retry (the pool reconnects on its own).
  [ErrorCode.DatabaseUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.TaskNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.TaskConflict]: HttpStatus.CONFLICT,
  [ErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
};
