import type { Request, Response } from 'express';
import type { Principal } from '@chat-ledger/platform';
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
