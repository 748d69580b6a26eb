import type { CliCommand } from '../cli-command';

/** Every CLI command; add one line per command. */
export const COMMANDS: CliCommand[] = [];
import { ledgerReconcileCommand } from './ledger-reconcile'; COMMANDS.push(ledgerReconcileCommand);
import { kafkaTail } from './kafka-tail'; COMMANDS.push(kafkaTail);
