import { MigrationInterface, QueryRunner } from 'typeorm';
import { allowEventType, deleteRowsOfEventType, disallowEventType } from '../event-type-check';

const USAGE_UPSERTED = 'ledger.usage.upserted';
const TOKEN_KINDS = ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens'];

/**
 * Usage records other systems report (ledger.usage.upserted), revision by revision.
 *
 * - Journal rows of these events name their record (external_id; the record's source is the row's source)
 *   and its revision, and count the difference to what the ledger had counted for the record before: a
 *   correction downwards counts negative tokens, so the non-negative checks on token columns exempt them.
 * - ledger.usage_records is one more balance over the journal (see ledger-aggregates.ts): per record the
 *   latest revision applied and the usage counted (the sum of its rows = that revision's usage). The
 *   consumer reads it to rebase the next revision and to leave an older one arriving late uncounted;
 *   reconcile recomputes it like every other balance.
 * - The journal accepts the event type (added to whatever its check lists; see event-type-check.ts and
 *   1765290000001-usage-records-event-type.ts for why).
 */
export class UsageRecords1765100000001 implements MigrationInterface {
  name = 'UsageRecords1765100000001';

  async up(q: QueryRunner): Promise<void> {
    await allowEventType(q, USAGE_UPSERTED);
    await q.query(`
      ALTER TABLE ledger.entries
        ADD COLUMN external_id varchar(128),
        ADD COLUMN revision    bigint CHECK (revision > 0),
        ADD CONSTRAINT entries_usage_record_check
          CHECK ((event_type = '${USAGE_UPSERTED}') = (external_id IS NOT NULL AND revision IS NOT NULL))`);
    for (const kind of TOKEN_KINDS) {
      await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_${kind}_check`);
      await q.query(`ALTER TABLE ledger.entries ADD CONSTRAINT entries_${kind}_check CHECK (${kind} >= 0 OR event_type = '${USAGE_UPSERTED}')`);
    }
    // The rows of one record, by revision: the consumer's rebase, and repricing (what a row counted on top of).
    await q.query(`CREATE INDEX entries_usage_record_idx ON ledger.entries (source, external_id, revision) WHERE external_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE ledger.usage_records (
        source             varchar(100) NOT NULL,
        external_id        varchar(128) NOT NULL,
        -- fixed by the record's first applied event; a later one naming others is a dead letter
        user_id            varchar(64)  NOT NULL,
        conversation_id    uuid,
        model              varchar(100),
        channel            varchar(32),
        operation          varchar(64),
        -- the latest revision applied: an event with this revision or a lower one counts nothing
        revision           bigint       NOT NULL CHECK (revision > 0),
        events_count       bigint       NOT NULL DEFAULT 0,
        -- what the ledger counts for the record: the usage of that latest revision
        prompt_tokens      bigint       NOT NULL DEFAULT 0,
        completion_tokens  bigint       NOT NULL DEFAULT 0,
        cached_tokens      bigint       NOT NULL DEFAULT 0,
        cache_write_tokens bigint       NOT NULL DEFAULT 0,
        reasoning_tokens   bigint       NOT NULL DEFAULT 0,
        total_tokens       bigint       NOT NULL DEFAULT 0,
        updated_at         timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (source, external_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger.usage_records`);
    await deleteRowsOfEventType(q, USAGE_UPSERTED);
    await q.query(`DROP INDEX ledger.entries_usage_record_idx`);
    for (const kind of TOKEN_KINDS) {
      await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_${kind}_check`);
      await q.query(`ALTER TABLE ledger.entries ADD CONSTRAINT entries_${kind}_check CHECK (${kind} >= 0)`);
    }
    await q.query(`ALTER TABLE ledger.entries DROP CONSTRAINT entries_usage_record_check, DROP COLUMN revision, DROP COLUMN external_id`);
    await disallowEventType(q, USAGE_UPSERTED);
  }
}
