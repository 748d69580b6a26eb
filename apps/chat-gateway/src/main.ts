// First, before anything that loads http, express, pg or kafkajs: OpenTelemetry's instrumentations patch them as
// they are required (see telemetry.ts). Keep this import above every other one.
import { telemetry } from './telemetry';
import 'reflect-metadata';
import { PendingMigrationsError } from '@chat-ledger/database';
import { ConfigValidationError, loadConfig, PinoLogger } from '@chat-ledger/platform';
import { createGatewayApp } from './bootstrap';
import { GatewayConfig } from './config/gateway.config';

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig, process.env);
  const logger = new PinoLogger({ service: 'chat-gateway', level: config.LOG_LEVEL });
  telemetry.reportTo(logger);
  const app = await createGatewayApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'chat-gateway listening', port: config.PORT, host: config.HOST, tracing: telemetry.enabled }, 'Bootstrap');
}

main().catch((error) => {
  if (error instanceof ConfigValidationError) process.stderr.write(`chat-gateway: ${error.message}\n`);
  // Says what to do (run the migrations first); a stack would only hide that.
  else if (error instanceof PendingMigrationsError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`chat-gateway failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
