import { HttpException, HttpStatus } from '@nestjs/common';
import { DomainError, ErrorBody, ErrorDetail } from './domain-error';
import { ErrorCode } from './error-code';
import { ERROR_HTTP_STATUS } from './error-http-status';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.ValidationFailed,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.Unauthenticated,
  [HttpStatus.FORBIDDEN]: ErrorCode.Forbidden,
  [HttpStatus.NOT_FOUND]: ErrorCode.NotFound,
  [HttpStatus.METHOD_NOT_ALLOWED]: ErrorCode.MethodNotAllowed,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PayloadTooLarge,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ErrorCode.UnsupportedMediaType,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RateLimited,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.ServiceUnavailable,
};

/** Errors raised by express' body parser (http-errors) before Nest sees the request. */
interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** true when the error was not anticipated and must be logged with its stack. */
  unexpected: boolean;
}

function response(code: ErrorCode, message: string, details: ErrorDetail[] = [], headers = {}, extra: Record<string, unknown> = {}): ErrorResponse {
  return { status: ERROR_HTTP_STATUS[code], body: { error: { code, message, details, ...withoutCore(extra) } }, headers, unexpected: false };
}

/** Extra fields come after the three every error has, and never replace them. */
function withoutCore(extra: Record<string, unknown>): Record<string, unknown> {
  const { code: _c, message: _m, details: _d, ...rest } = extra;
  return rest;
}

export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof DomainError) return response(error.code, error.message, error.details, error.headers, error.extra);

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = STATUS_CODES[status];
    if (code) return { ...response(code, error.message), status };
  }

  const parserError = error as BodyParserError;
  if (parserError && typeof parserError === 'object' && typeof parserError.type === 'string') {
    switch (parserError.type) {
      case 'entity.parse.failed':
        return response(ErrorCode.MalformedJson, 'request body is not valid JSON', [{ field: 'body', problem: 'must be a valid JSON object' }]);
      case 'encoding.invalid_utf8':
        return response(ErrorCode.MalformedJson, 'request body is not valid UTF-8', [{ field: 'body', problem: 'must be UTF-8 encoded JSON' }]);
      case 'entity.too.large':
        return response(ErrorCode.PayloadTooLarge, 'request body is too large', [{ field: 'body', problem: 'exceeds the configured size limit' }]);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return response(ErrorCode.UnsupportedMediaType, 'unsupported body encoding or charset', [
          { field: 'body', problem: parserError.message ?? 'unsupported encoding' },
        ]);
      case 'request.aborted':
      case 'request.size.invalid':
      case 'stream.encoding.set':
        return response(ErrorCode.ValidationFailed, 'request body could not be read', [{ field: 'body', problem: parserError.message ?? 'unreadable body' }]);
      default:
        break;
    }
    const status = parserError.status ?? parserError.statusCode;
    const code = status ? STATUS_CODES[status] : undefined;
    if (code && status && status < 500) return { ...response(code, parserError.message ?? 'bad request'), status };
  }

  if (isDatabaseUnreachable(error)) {
    return { ...response(ErrorCode.DatabaseUnavailable, 'the database is unreachable; nothing was written, retry later'), headers: { 'Retry-After': '5' } };
  }
  return { ...response(ErrorCode.Internal, 'internal error'), unexpected: true };
}

/**
 * The database cannot be reached (refused, reset, shut down, no connection from the pool in time): a 503 the
 * client can retry, not a 500. SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, cannot
 * connect now), plus the socket and pool errors node-postgres raises before any SQLSTATE exists.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown };
  if (e.driverError && e.driverError !== error && isDatabaseUnreachable(e.driverError)) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(message);
}
