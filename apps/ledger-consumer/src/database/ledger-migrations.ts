import { CreateLedgerSchema1763900000000 } from './migrations/1763900000000-create-ledger-schema';
import { DeadLettersDlqPublishedAt1764100000000 } from './migrations/1764100000000-dead-letters-dlq-published-at';
import { GatewayTokenViews1764300000000 } from './migrations/1764300000000-gateway-token-views';
import { JournalDigestOwnersSequences1764500000000 } from './migrations/1764500000000-journal-digest-owners-sequences';
import { PriceBookAndCost1764800000000 } from './migrations/1764800000000-price-book-and-cost';
import { NoticesAndBudgetViews1765000000000 } from './migrations/1765000000000-notices-and-budget-views';
import { UsageRecords1765100000001 } from './migrations/1765100000001-usage-records';
import { TaskAttribution1765200000000 } from './migrations/1765200000000-task-attribution';
import { UsageRecordsEventType1765290000001 } from './migrations/1765290000001-usage-records-event-type';
import { Tenants1766000000000 } from './migrations/1766000000000-tenants';
import { ErasureAndJournalFolding1766100000000 } from './migrations/1766100000000-erasure-and-journal-folding';

/** Ordered list of the ledger schema's migrations (explicit, so bundling and tests need no globbing). */
export const LEDGER_MIGRATIONS = [
  CreateLedgerSchema1763900000000,
  DeadLettersDlqPublishedAt1764100000000,
  GatewayTokenViews1764300000000,
  JournalDigestOwnersSequences1764500000000,
  PriceBookAndCost1764800000000,
  NoticesAndBudgetViews1765000000000,
  UsageRecords1765100000001,
  TaskAttribution1765200000000,
  UsageRecordsEventType1765290000001,
  Tenants1766000000000,
  ErasureAndJournalFolding1766100000000,
];
export const LEDGER_SCHEMA = 'ledger';
