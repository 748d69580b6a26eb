/**
 * The outbox's public read for "what has this user committed": every event of one partition key ($1) still in
 * the outbox, whatever the relay did with it (pending, published, dead), except rows an operator skipped (they
 * are set aside for good). Budgets add what the ledger has not applied yet from here, so a check is exact at
 * the moment it runs, not as of the ledger's last batch. Published rows leave after OUTBOX_RETENTION; by then
 * the ledger has long applied them.
 */
export const OUTBOX_USER_EVENTS_SQL = `SELECT event_id, event_type, payload FROM outbox.events WHERE partition_key = $1 AND status <> 'skipped'`;

/**
 * The same read for a set of partition keys: every event still in the outbox of a key that `keys` (a subquery,
 * e.g. the users of an organisation) yields. Budgets of an organisation add these events of its users.
 */
export const outboxEventsOfKeysSql = (keys: string) =>
  `SELECT event_id, event_type, payload FROM outbox.events WHERE partition_key IN (${keys}) AND status <> 'skipped'`;
