// First, before anything that loads http, express, pg or kafkajs: OpenTelemetry's instrumentations patch them as
// they are required (see telemetry.ts). Keep this import above every other one.
import { telemetry } from './telemetry';
import 'reflect-metadata';
import { PendingMigrationsError } from '@chat-ledger/database';
import { ConfigValidationError, loadConfig, PinoLogger } from '@chat-ledger/platform';
import { createLedgerApp } from './bootstrap';
import { LedgerConfig } from './config/ledger.config';

async function main(): Promise<void> {
  const config = loadConfig(LedgerConfig, process.env);
  const logger = new PinoLogger({ service: 'ledger-consumer', level: config.LOG_LEVEL });
  telemetry.reportTo(logger);
  // A stop that hangs (a broker that never answers the leave) must not keep the process alive forever.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT).unref());
  }
  const app = await createLedgerApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  logger.log(
    {
      msg: 'ledger-consumer listening',
      port: config.PORT,
      host: config.HOST,
      topic: config.KAFKA_TOPIC,
      group_id: config.KAFKA_GROUP_ID,
      consumer: config.KAFKA_CONSUMER_ENABLED,
      tracing: telemetry.enabled,
    },
    'Bootstrap',
  );
}

main().catch((error) => {
  if (error instanceof ConfigValidationError) process.stderr.write(`ledger-consumer: ${error.message}\n`);
  // Says what to do (run the migrations first); a stack would only hide that.
  else if (error instanceof PendingMigrationsError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`ledger-consumer failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
