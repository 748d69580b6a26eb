import type { CliCommand } from '../cli-command';

/** Every CLI command; add one line per command. */
export const COMMANDS: CliCommand[] = [];
import { ledgerReconcileCommand } from './ledger-reconcile'; COMMANDS.push(ledgerReconcileCommand);
import { kafkaTail } from './kafka-tail'; COMMANDS.push(kafkaTail);
import { outboxStatsCommand } from './outbox-stats'; COMMANDS.push(outboxStatsCommand);
import { outboxListCommand } from './outbox-list'; COMMANDS.push(outboxListCommand);
import { outboxReplayCommand } from './outbox-replay'; COMMANDS.push(outboxReplayCommand);
import { outboxRetryCommand } from './outbox-retry'; COMMANDS.push(outboxRetryCommand);
import { ledgerDlqRedriveCommand } from './ledger-dlq-redrive'; COMMANDS.push(ledgerDlqRedriveCommand);
