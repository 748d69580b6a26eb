/**
 * The ledger-consumer's public entry point: what tools/ and bench/ may use of the app (the lint rule lets them import
 * nothing else under apps/ledger-consumer). The app itself starts from main.ts; tests reach inside it freely.
 */
// Schema (bench/ migrates a database of its own)
export { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from './database/ledger-migrations';
// Operator commands (tools/cli: ledger:reconcile, ledger:dlq:redrive; tools/chaos checks the totals after its run)
export { ReconcileService } from './reconcile/reconcile.service';
export type { DriftDetail, ReconcileReport, TableReport } from './reconcile/reconcile.service';
export { redriveDeadLetters } from './dead-letters/redrive-dead-letters';
export type { RedriveOptions, RedriveReport } from './dead-letters/redrive-dead-letters';
// The apply path without Nest or Kafka around it (bench/scenarios/ledger.bench.ts measures it raw)
export { LedgerConfig } from './config/ledger.config';
export { toJournalRow } from './ingest/consumed-record';
export type { ConsumedRecord, JournalRow } from './ingest/consumed-record';
export { APPLY_SQL } from './ingest/ledger-write.repository';
// The OpenAPI document without a database (npm run openapi:types)
export { ledgerOpenApiDocument } from './openapi';
