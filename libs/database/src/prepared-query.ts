import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** The part of node-postgres' client a named statement needs. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Runs `text` as a named prepared statement on the manager's connection (it must be inside a transaction, so the
 * manager holds one). PostgreSQL parses and plans a statement sent by name once per connection and then reuses
 * it (custom plans for the first executions, a generic plan once that is no worse), where `manager.query` sends,
 * parses and plans the text every time: for a large hot statement such as the ledger's batch apply that
 * planning costs milliseconds per call. The name carries a hash of the text, so changed SQL is never run
 * under an old plan.
 */
export async function preparedQuery<T = Record<string, unknown>>(manager: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error(`preparedQuery(${name}) needs a transaction's EntityManager (it runs on that connection)`);
  const client = (await runner.connect()) as PgClient;
  const digest = createHash('sha1').update(text).digest('hex').slice(0, 12);
  const { rows } = await client.query({ name: `${name}_${digest}`, text, values });
  return rows as T[];
}
