/** The database schema the outbox owns, and its objects. Hosts run OUTBOX_MIGRATIONS; nobody else writes here. */
export const OUTBOX_SCHEMA = 'outbox';
/** One row per event to publish. */
export const OUTBOX_TABLE = 'outbox.events';
/** Audit of operator replays. */
export const OUTBOX_REPLAYS_TABLE = 'outbox.replays';
/**
 * The NOTIFY channel the insert trigger signals at commit for an outbox in schema `outboxSchema` (OUTBOX_SCHEMA):
 * `<its schema>_events`, so `outbox_events` with the default names.
 */
export function outboxChannel(outboxSchema: string): string {
  return `${outboxSchema}_events`;
}

/**
 * Number of relay shards. Every row's shard is `outbox.shard_of(partition_key)`, a generated column the
 * migration derives from this constant; a power of two, so the shard is a bit mask of the key's hash.
 * Changing it needs a migration that rewrites the column (and every relay stopped meanwhile), because
 * a user's rows must never sit in two shards at once.
 */
export const SHARD_COUNT = 64;
if ((SHARD_COUNT & (SHARD_COUNT - 1)) !== 0 || SHARD_COUNT < 1 || SHARD_COUNT > 32_768) {
  throw new Error(`SHARD_COUNT must be a power of two up to 32768, got ${SHARD_COUNT}`);
}
