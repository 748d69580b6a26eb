import { applyDecorators, Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrorResponses, ErrorCode, type Principal } from '@chat-ledger/platform';
import type { IdempotencyScope, IdempotentResult } from '../idempotency/idempotency.service';
import { validateIdempotencyKey } from '../idempotency/idempotency.service';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** W3C trace context travels with the event when the caller sent a well-formed one. */
export function traceparentOf(req: Request): string | undefined {
  const value = req.header('traceparent');
  return value && TRACEPARENT.test(value) ? value : undefined;
}

export function idempotencyScopeOf(req: Request, principal: Principal, body: unknown): IdempotencyScope | undefined {
  const key = validateIdempotencyKey(req.header('idempotency-key'));
  if (!key) return undefined;
  return { userId: principal.userId, key, fingerprint: { method: req.method, path: req.path, body } };
}

/** A replayed response carries the first response's status and says that it is a replay. */
export function sendIdempotent<T>(res: Response, result: IdempotentResult<T>): T {
  res.status(result.status);
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return result.body;
}

/**
 * The documentation of a write that honours Idempotency-Key: the header, the success response (the same status and
 * body for a replay, marked by Idempotent-Replayed) and the 409s of a key that is reused or still in progress.
 */
export function ApiIdempotentWrite(type: Type, status: 201 | 202, description: string) {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'the same key with the same body returns the first response and writes nothing; kept per caller for IDEMPOTENCY_TTL',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$', example: '8d1c5a52-checkout-42' },
    }),
    ApiResponse({
      status,
      type,
      description,
      headers: {
        'Idempotent-Replayed': {
          description: 'true when this is the stored response to an earlier request with the same key',
          schema: { type: 'string', enum: ['true'] },
        },
      },
    }),
    ApiErrorResponses(ErrorCode.IdempotencyKeyReused, ErrorCode.IdempotencyKeyInProgress),
  );
}
