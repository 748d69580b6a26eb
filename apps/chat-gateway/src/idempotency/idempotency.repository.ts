import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

@Injectable()
export class IdempotencyRepository {
  /**
   * Claims the key inside the caller's transaction. A concurrent claim of the same key blocks on the
   * unique index until the first transaction ends: if it committed, this returns false and the stored
   * response can be read; if it rolled back, this claim succeeds and the work runs once more.
   */
  async claim(manager: EntityManager, userId: string, key: string, requestHash: string): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO chat.idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING 1`,
      [userId, key, requestHash],
    );
    return rows.length === 1;
  }

  async find(manager: EntityManager, userId: string, key: string): Promise<StoredResponse | undefined> {
    const [row] = await manager.query(`SELECT request_hash, response_status, response_body FROM chat.idempotency_keys WHERE user_id = $1 AND key = $2`, [
      userId,
      key,
    ]);
    return row;
  }

  async complete(manager: EntityManager, userId: string, key: string, status: number, body: unknown): Promise<void> {
    await manager.query(`UPDATE chat.idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`, [
      userId,
      key,
      status,
      JSON.stringify(body),
    ]);
  }

  /** Deletes expired keys in small batches so the cleanup never holds long locks. */
  async deleteOlderThan(manager: EntityManager, cutoff: Date, batchSize: number): Promise<number> {
    const [, deleted] = await manager.query(
      `DELETE FROM chat.idempotency_keys WHERE ctid IN (
         SELECT ctid FROM chat.idempotency_keys WHERE created_at < $1 LIMIT $2)`,
      [cutoff, batchSize],
    );
    return deleted;
  }
}
