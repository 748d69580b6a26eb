import type { CliCommand } from '../cli-command';
import { kafkaTail } from './kafka-tail';
import { ledgerDlqRedriveCommand } from './ledger-dlq-redrive';
import { ledgerReconcileCommand } from './ledger-reconcile';
import { migrateCommand } from './migrate';
import { outboxListCommand } from './outbox-list';
import { outboxReplayCommand } from './outbox-replay';
import { outboxRetryCommand } from './outbox-retry';
import { outboxSkipCommand } from './outbox-skip';
import { outboxStatsCommand } from './outbox-stats';

/** Every CLI command, in the order `npm run cli -- help` lists them. */
export const COMMANDS: CliCommand[] = [
  migrateCommand,
  ledgerReconcileCommand,
  kafkaTail,
  outboxStatsCommand,
  outboxListCommand,
  outboxReplayCommand,
  outboxRetryCommand,
  outboxSkipCommand,
  ledgerDlqRedriveCommand,
];
