import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { prepareSchemas, schemaNamesFromEnv } from '@chat-ledger/database';
import { ConfigValidationError, configureHttpApp, PinoLogger } from '@chat-ledger/platform';
import { AppModule } from './app.module';
import { PricesSeedService } from './prices/prices-seed.service';
import { LedgerConfig } from './config/ledger.config';
import { LEDGER_OPENAPI } from './openapi';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from './database/ledger-migrations';
import { FatalHandler } from './ingest/token-events.consumer';

export interface LedgerAppOptions {
  /**
   * What to do when the consumer cannot go on (a crash kafkajs does not restart). Default: log, try a
   * graceful close for at most SHUTDOWN_TIMEOUT, then exit with code 1 so a supervisor restarts the
   * process. Tests pass their own.
   */
  onFatal?: FatalHandler;
}

/** Rules that span several keys (single keys are validated by the schema). */
function checkConfig(config: LedgerConfig): void {
  const problems: string[] = [];
  if (config.heartbeatIntervalMs >= config.KAFKA_SESSION_TIMEOUT_MS) {
    problems.push('KAFKA_HEARTBEAT_INTERVAL_MS: must be lower than KAFKA_SESSION_TIMEOUT_MS (a third of it is usual)');
  }
  if (config.BATCH_RETRY_MAX < config.BATCH_RETRY_INITIAL) problems.push('BATCH_RETRY_MAX: must not be lower than BATCH_RETRY_INITIAL');
  if (problems.length > 0) throw new ConfigValidationError(problems);
}

export function exitOnFatal(logger: LoggerService, timeoutMs: number, close: () => Promise<void>): FatalHandler {
  let exiting = false;
  return (error) => {
    if (exiting) return;
    exiting = true;
    logger.error({ msg: 'fatal: the Kafka consumer stopped for good; exiting so a supervisor restarts the process', error: error.message }, 'Bootstrap');
    setTimeout(() => process.exit(1), timeoutMs).unref();
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  };
}

/**
 * The operators' console (served by the gateway, another origin) reads usage, dead letters and sequence gaps from
 * the page: browsers may call this API from CONSOLE_ORIGIN only, with a bearer token (no cookies), for reads.
 * Other origins get no CORS headers, so their pages cannot read the answers.
 */
export function enableConsoleCors(app: INestApplication, origins: string[]): void {
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'HEAD'],
    allowedHeaders: ['Authorization', 'Accept', 'X-Request-Id'],
    exposedHeaders: ['Content-Disposition', 'X-Next-Cursor', 'X-Request-Id', 'Retry-After'],
    credentials: false,
    maxAge: 600,
  });
}

/**
 * Builds the ledger-consumer (used by main.ts and by tests). The Kafka consumer starts when the app is
 * initialised (app.listen / app.init), after the migrations ran (or were found applied) here.
 */
export async function createLedgerApp(
  config: LedgerConfig,
  logger: LoggerService = new PinoLogger({ service: 'ledger-consumer', level: config.LOG_LEVEL }),
  options: LedgerAppOptions = {},
): Promise<INestApplication> {
  checkConfig(config);
  // Migrated (or, with DB_MIGRATE=false, checked) before the app is built.
  await prepareSchemas({
    url: config.DATABASE_URL,
    owners: [{ schema: LEDGER_SCHEMA, migrations: LEDGER_MIGRATIONS }],
    migrate: config.DB_MIGRATE,
    host: 'ledger-consumer',
    names: schemaNamesFromEnv(config),
  });
  let app: INestApplication | undefined;
  const onFatal = options.onFatal ?? exitOnFatal(logger, config.SHUTDOWN_TIMEOUT, async () => app?.close());
  app = await NestFactory.create(AppModule.forRoot(config, onFatal), { bodyParser: false, logger, abortOnError: false });
  configureHttpApp(app, { ...LEDGER_OPENAPI, bodyLimitBytes: 16 * 1024 });
  enableConsoleCors(app, config.consoleOrigins);
  // Before app.init starts the consumer: events applied from the start are priced with the seed's prices.
  await app.get(PricesSeedService).load();
  return app;
}
