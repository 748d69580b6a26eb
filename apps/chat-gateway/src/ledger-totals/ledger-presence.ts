import type { EntityManager } from 'typeorm';

/**
 * Whether the ledger's views (and functions) the gateway reads exist in its database. The ledger-consumer
 * migrates them, possibly after the gateway started, and a rebuild may drop them: the answer is cached for a
 * few seconds (a read that finds it gone calls `forget` to ask again at once).
 */
export class LedgerPresence {
  private present = false;
  private checkedUntil = 0;

  /** `condition`: a boolean SQL expression, e.g. `to_regclass('ledger.x_view') IS NOT NULL`. */
  constructor(private readonly condition: string) {}

  async has(manager: EntityManager): Promise<boolean> {
    if (Date.now() < this.checkedUntil) return this.present;
    const [row] = await manager.query(`SELECT (${this.condition}) AS present`);
    this.present = row.present === true;
    this.checkedUntil = Date.now() + 5_000;
    return this.present;
  }

  /** A read found the ledger gone: ask again next time. */
  forget(): void {
    this.present = false;
    this.checkedUntil = 0;
  }
}
