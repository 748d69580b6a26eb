import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@chat-ledger/platform';
import { IdempotencyRepository } from './idempotency.repository';

export interface IdempotencyScope {
  userId: string;
  key: string;
  /** What makes two requests "the same": endpoint and body. */
  fingerprint: unknown;
}

export interface IdempotentResult<T> {
  status: number;
  body: T;
  replayed: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) {
    throw DomainError.invalidField('Idempotency-Key', 'must be 1 to 255 printable ASCII characters');
  }
  return key;
}

/** Key order does not change the meaning of a JSON body, so it must not change its fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

@Injectable()
export class IdempotencyService {
  constructor(private readonly keys: IdempotencyRepository) {}

  /** Runs `work` at most once per (user, key) inside the caller's transaction. */
  async runOnce<T>(manager: EntityManager, scope: IdempotencyScope | undefined, status: number, work: () => Promise<T>): Promise<IdempotentResult<T>> {
    if (!scope) return { status, body: await work(), replayed: false };
    const hash = createHash('sha256').update(canonicalJson(scope.fingerprint)).digest('hex');
    if (!(await this.keys.claim(manager, scope.userId, scope.key, hash))) {
      const stored = await this.keys.find(manager, scope.userId, scope.key);
      if (!stored || stored.response_status === null) {
        throw new DomainError(ErrorCode.IdempotencyKeyInProgress, 'a request with this Idempotency-Key is still in progress', [
          { field: 'Idempotency-Key', problem: 'retry later' },
        ]);
      }
      if (stored.request_hash !== hash) {
        throw new DomainError(ErrorCode.IdempotencyKeyReused, 'Idempotency-Key was already used with a different request', [
          { field: 'Idempotency-Key', problem: 'reused with a different body or endpoint' },
        ]);
      }
      return { status: stored.response_status, body: stored.response_body as T, replayed: true };
    }
    const body = await work();
    await this.keys.complete(manager, scope.userId, scope.key, status, body);
    return { status, body, replayed: false };
  }
}
