import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { prepareSchemas, schemaNamesFromEnv } from '@chat-ledger/database';
import { OUTBOX_MIGRATIONS, OUTBOX_SCHEMA } from '@chat-ledger/outbox';
import { configureHttpApp, PinoLogger } from '@chat-ledger/platform';
import { AppModule, GatewayAppOptions } from './app.module';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from './database/chat-migrations';
import { GatewayConfig } from './config/gateway.config';
import { GATEWAY_OPENAPI } from './openapi';

/** Builds the gateway (used by main.ts and by tests, which listen on a free port). */
export async function createGatewayApp(
  config: GatewayConfig,
  logger = new PinoLogger({ service: 'chat-gateway', level: config.LOG_LEVEL }),
  options: GatewayAppOptions = {},
): Promise<INestApplication> {
  // The gateway hosts two schema owners: its own (chat) and the outbox it writes into. Migrated (or, with
  // DB_MIGRATE=false, checked) before the app is built, so nothing starts on a schema it does not know.
  await prepareSchemas({
    url: config.DATABASE_URL,
    owners: [
      { schema: CHAT_SCHEMA, migrations: CHAT_MIGRATIONS },
      { schema: OUTBOX_SCHEMA, migrations: OUTBOX_MIGRATIONS },
    ],
    migrate: config.DB_MIGRATE,
    host: 'chat-gateway',
    names: schemaNamesFromEnv(config),
  });
  const app = await NestFactory.create(AppModule.forRoot(config, options), { bodyParser: false, logger, abortOnError: false });
  configureHttpApp(app, { ...GATEWAY_OPENAPI, bodyLimitBytes: config.BODY_LIMIT_BYTES });
  return app;
}
