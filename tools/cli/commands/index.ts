import type { CliCommand } from '../cli-command';

/** Every CLI command; add one line per command. */
export const COMMANDS: CliCommand[] = [];
