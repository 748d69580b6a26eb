import { Command, CommanderError } from 'commander';
import type { CliCommand, CliEnv } from './cli-command';
import { COMMANDS } from './commands';

/** Exit code of usage errors (unknown command or option, missing or extra argument): as for bad option values. */
export const EXIT_USAGE = 2;

/**
 * The `npm run cli` program: one commander subcommand per CliCommand. Commander never exits the
 * process here (exitOverride) and writes through `env`, so tests run commands in process.
 */
export function buildCliProgram(env: CliEnv, onResult: (code: number) => void, commands: CliCommand[] = COMMANDS): Command {
  const write = (to: (line: string) => void) => (text: string) => to(text.replace(/\n$/, ''));
  const program = new Command('npm run cli --')
    .description('operator commands against the configured or running stack (DATABASE_URL and KAFKA_BROKERS, or the `npm start` stack)')
    .exitOverride()
    .configureOutput({ writeOut: write(env.out), writeErr: write(env.err) })
    .showHelpAfterError('(npm run cli -- help <command> shows its options)');
  for (const definition of commands) {
    // program.command() (not addCommand) so each subcommand inherits exitOverride and the output settings.
    const command = definition.define(program.command(definition.name).description(definition.summary));
    command.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      onResult(await definition.run({ options: self.opts(), args: self.args }, env));
    });
  }
  return program;
}

/** Runs one command line (without `node main.js`) and resolves to the exit code. */
export async function runCli(argv: string[], env: CliEnv, commands: CliCommand[] = COMMANDS): Promise<number> {
  let code = 0;
  const program = buildCliProgram(env, (result) => (code = result), commands);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander that exit 0; everything else it refuses is bad usage.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    env.err(`${argv[0]}: ${(error as Error).message}`);
    return 1;
  }
}
