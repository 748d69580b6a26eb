/** One `npm run cli -- <name> [args]` command. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. `argv` excludes the command name. */
  run(argv: string[], env: CliEnv): Promise<number>;
}

export interface CliEnv {
  /** DATABASE_URL, or the one of the `npm start` stack running from DATA_DIR. */
  databaseUrl(): string;
  /** KAFKA_BROKERS, or the embedded broker of the running stack. */
  kafkaBrokers(): string[];
  out(line: string): void;
  err(line: string): void;
}
