import { MigrationInterface, QueryRunner } from 'typeorm';
import { allowEventType, deleteRowsOfEventType, disallowEventType } from '../event-type-check';

const USAGE_UPSERTED = 'ledger.usage.upserted';

/**
 * The journal accepts ledger.usage.upserted again. TaskAttribution1765200000000 (written at the same time as
 * the usage records) re-creates the event type check from its own list, which does not know usage records, and
 * it runs after UsageRecords1765100000001 on a new database. This adds the type to whatever the check lists
 * now, so both orders end with every type allowed.
 */
export class UsageRecordsEventType1765290000001 implements MigrationInterface {
  name = 'UsageRecordsEventType1765290000001';

  async up(q: QueryRunner): Promise<void> {
    await allowEventType(q, USAGE_UPSERTED);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to what the migrations before this one leave: a check without usage records, so their rows go
    // (TaskAttribution's down would otherwise refuse to re-create its list over them).
    await deleteRowsOfEventType(q, USAGE_UPSERTED);
    await disallowEventType(q, USAGE_UPSERTED);
  }
}
