import { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument, loadConfig, OpenApiInfo } from '@chat-ledger/platform';
import { AppModule } from './app.module';
import { LedgerConfig } from './config/ledger.config';

export const LEDGER_OPENAPI: OpenApiInfo = {
  title: 'ledger-consumer',
  description:
    'Token ledger: applies token events from Kafka exactly once per event id and serves usage. ' +
    "A user reads their own usage; scope usage:read_all reads anyone's.",
  version: '1',
};

/**
 * The ledger's document without a database or Kafka: its controllers over stubs (buildOpenApiDocument). The
 * served one (/docs-json) is built from the running app; test/openapi.int-spec.ts checks that both are the same.
 */
export function ledgerOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig(LedgerConfig, {
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi',
    JWT_SECRET: 'openapi-document-only-never-verifies-a-token',
    KAFKA_BROKERS: '127.0.0.1:1',
    KAFKA_CONSUMER_ENABLED: 'false',
  });
  return buildOpenApiDocument(
    AppModule.forRoot(config, () => undefined),
    LEDGER_OPENAPI,
  );
}
