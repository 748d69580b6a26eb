import { ApiResponseOptions, DECORATORS } from '@nestjs/swagger';
import { ErrorBodyDto } from './error-body.dto';
import { ErrorCode } from './error-code';
import { ERROR_HTTP_STATUS } from './error-http-status';

/** The error statuses the APIs answer with (ERROR_HTTP_STATUS's values). */
export type ApiErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503;

/** The code a bare status stands for: the one toErrorResponse gives framework errors of that status. */
const GENERIC_CODE: Partial<Record<ApiErrorStatus, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthenticated,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  500: ErrorCode.Internal,
  503: ErrorCode.ServiceUnavailable,
};

const SUMMARY: Record<ApiErrorStatus, string> = {
  400: 'Invalid request: a parameter, header or body field is wrong (details name each)',
  401: 'Missing, malformed, expired or badly signed bearer token',
  403: 'The token lacks a required scope, or names data of another user',
  404: 'Not found (or not yours)',
  405: 'Method not allowed',
  409: 'Conflicts with the current state',
  413: 'Request body larger than the configured limit',
  415: 'Request body is not application/json',
  429: 'Write rate limit of this user exceeded; retry after Retry-After seconds',
  500: 'Unexpected error (logged with its stack; the body says only "internal error")',
  503: 'Service unavailable',
};

const HEADERS: Partial<Record<ApiErrorStatus, ApiResponseOptions['headers']>> = {
  401: { 'WWW-Authenticate': { description: 'Bearer challenge', schema: { type: 'string', example: 'Bearer error="invalid_token"' } } },
  429: { 'Retry-After': { description: 'seconds until a write is accepted again', schema: { type: 'integer', minimum: 1 } } },
};

/** Response extension listing the `error.code`s a documented error status stands for. */
export const ERROR_CODES_EXTENSION = 'x-error-codes';

/** The response object of an error status answering the shared error body with these codes. */
export function errorResponseObject(status: ApiErrorStatus, codes: readonly ErrorCode[]) {
  return {
    description: codes.length ? `${SUMMARY[status]}. error.code: ${codes.join(', ')}` : SUMMARY[status],
    ...(HEADERS[status] ? { headers: HEADERS[status] } : {}),
    [ERROR_CODES_EXTENSION]: [...codes],
  };
}

function statusOf(entry: ApiErrorStatus | ErrorCode): ApiErrorStatus {
  return (typeof entry === 'number' ? entry : ERROR_HTTP_STATUS[entry]) as ApiErrorStatus;
}

/**
 * Documents error responses of a route (or of every route of a controller) with the shared error body
 * `{error: {code, message, details}}`. Give a status for its generic code (400 VALIDATION_FAILED, 404
 * NOT_FOUND, …) or a domain ErrorCode, which documents its status (ERROR_HTTP_STATUS) with that code:
 * `@ApiErrorResponses(400, ErrorCode.ConversationNotFound)`.
 *
 * Errors every route shares are documented by createOpenApiDocument (500; 401 where the route is secured; 400,
 * 413 and 415 where it takes a JSON body or a query), those of RequireScopes (403) and RateLimitedWrite (429) by
 * those decorators.
 */
export function ApiErrorResponses(...entries: Array<ApiErrorStatus | ErrorCode>): MethodDecorator & ClassDecorator {
  const byStatus = new Map<ApiErrorStatus, Set<ErrorCode>>();
  for (const entry of entries) {
    const status = statusOf(entry);
    if (!(status in SUMMARY)) throw new Error(`ApiErrorResponses: ${status} is not an error status of this API`);
    const codes = byStatus.get(status) ?? new Set<ErrorCode>();
    const code = typeof entry === 'number' ? GENERIC_CODE[entry] : entry;
    if (code === undefined) throw new Error(`ApiErrorResponses: ${status} has no generic code; name the ErrorCode`);
    codes.add(code);
    byStatus.set(status, codes);
  }
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    // Several decorators may document one status (RequireScopes' and a route's, two of these): the codes add up,
    // where ApiResponse would concatenate the descriptions.
    const holder = descriptor ? descriptor.value : target;
    const responses: Record<string, Record<string, unknown>> = Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) ?? {};
    const merged = { ...responses };
    for (const [status, codes] of byStatus) {
      const known = (responses[status]?.[ERROR_CODES_EXTENSION] as ErrorCode[] | undefined) ?? [];
      merged[status] = { type: ErrorBodyDto, isArray: false, ...errorResponseObject(status, [...new Set([...known, ...codes])]) };
    }
    Reflect.defineMetadata(DECORATORS.API_RESPONSE, merged, holder);
    return descriptor ?? target;
  }) as MethodDecorator & ClassDecorator;
}
