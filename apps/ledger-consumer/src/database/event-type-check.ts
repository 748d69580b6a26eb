import type { QueryRunner } from 'typeorm';

/**
 * ledger.entries accepts the event types its CHECK constraint lists. Migrations of different features add
 * types to it; one that rewrites the list from its own copy drops the types another added meanwhile. These
 * read the list from the catalog and change only the one type they are about, so they compose in any order.
 */
async function eventTypes(q: QueryRunner): Promise<string[]> {
  const [row] = await q.query(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'ledger.entries'::regclass AND conname = 'entries_event_type_check'`,
  );
  // e.g. CHECK (((event_type)::text = ANY ((ARRAY['chat.message.recorded'::character varying, …])::text[])))
  return [...String(row.def).matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

async function setEventTypes(q: QueryRunner, types: string[]): Promise<void> {
  await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_event_type_check`);
  await q.query(`ALTER TABLE ledger.entries ADD CONSTRAINT entries_event_type_check CHECK (event_type IN (${types.map((t) => `'${t}'`).join(', ')}))`);
}

export async function allowEventType(q: QueryRunner, type: string): Promise<void> {
  const types = await eventTypes(q);
  if (!types.includes(type)) await setEventTypes(q, [...types, type]);
}

/** The journal must hold no row of `type` any more. */
export async function disallowEventType(q: QueryRunner, type: string): Promise<void> {
  const types = await eventTypes(q);
  if (types.includes(type))
    await setEventTypes(
      q,
      types.filter((t) => t !== type),
    );
}

/**
 * Deletes the journal's rows of `type` and their cost corrections, for a down migration: the schema before
 * cannot hold them. The balances still include them until `ledger:reconcile --repair` recomputes them.
 */
export async function deleteRowsOfEventType(q: QueryRunner, type: string): Promise<void> {
  await q.query(`DELETE FROM ledger.entries WHERE event_type = $1 OR corrects_event_id IN (SELECT event_id FROM ledger.entries WHERE event_type = $1)`, [type]);
}
