// First, before anything that loads http, express, pg or kafkajs: OpenTelemetry's instrumentations patch them as
// they are required (see telemetry.ts). Keep this import above every other one.
import { telemetry } from './telemetry';
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AddressInfo } from 'node:net';
import { PendingMigrationsError, prepareSchemas, schemaNamesFromEnv } from '@chat-ledger/database';
import { OUTBOX_MIGRATIONS, OUTBOX_SCHEMA, OutboxRelayService } from '@chat-ledger/outbox';
import { ConfigValidationError, enableGracefulShutdown, loadConfig, PinoLogger } from '@chat-ledger/platform';
import { AppModule } from './app.module';
import { RelayConfig } from './config/relay.config';

/**
 * apps/outbox-relay (`npm run start:relay`): the outbox relay on its own, for scale-out (run as many as needed; they share
 * the 64 shards through PostgreSQL advisory locks). SIGTERM finishes the batch in hand and releases the
 * shard leases. Serves /metrics and /health only when METRICS_PORT is set.
 */
async function main(): Promise<void> {
  const config = loadConfig(RelayConfig, process.env);
  const logger = new PinoLogger({ service: 'outbox-relay', level: config.LOG_LEVEL });
  telemetry.reportTo(logger);
  // This process hosts the outbox; with several relays starting at once, an advisory lock lets one migrate.
  await prepareSchemas({
    url: config.DATABASE_URL,
    owners: [{ schema: OUTBOX_SCHEMA, migrations: OUTBOX_MIGRATIONS }],
    migrate: config.DB_MIGRATE,
    host: 'outbox-relay',
    names: schemaNamesFromEnv(config),
  });
  const module = AppModule.forRoot(config);
  let app: INestApplicationContext;
  let metricsPort: number | undefined;
  if (config.METRICS_PORT !== undefined) {
    const http = await NestFactory.create(module, { logger, abortOnError: false });
    enableGracefulShutdown(http);
    await http.listen(config.METRICS_PORT, config.METRICS_HOST);
    metricsPort = (http.getHttpServer().address() as AddressInfo).port;
    app = http;
  } else {
    app = await NestFactory.createApplicationContext(module, { logger, abortOnError: false });
    enableGracefulShutdown(app);
    await app.init();
  }
  const relay = app.get(OutboxRelayService).relay!;
  logger.log(
    {
      msg: 'outbox relay running',
      instance_id: relay.instanceId,
      topic: config.KAFKA_TOPIC,
      tracing: telemetry.enabled,
      ...(metricsPort !== undefined ? { metrics_port: metricsPort } : {}),
    },
    'Bootstrap',
  );
}

main().catch((error) => {
  if (error instanceof ConfigValidationError) process.stderr.write(`outbox-relay: ${error.message}\n`);
  // Says what to do (run the migrations first); a stack would only hide that.
  else if (error instanceof PendingMigrationsError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`outbox-relay failed to start: ${error?.message ?? error}\n`);
  process.exit(1);
});
