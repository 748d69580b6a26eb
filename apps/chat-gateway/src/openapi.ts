import { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument, loadConfig, OpenApiInfo } from '@chat-ledger/platform';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';

export const GATEWAY_OPENAPI: OpenApiInfo = {
  title: 'chat-gateway',
  description: 'Conversations, messages with token usage, and token adjustments. Every write lands in the transactional outbox.',
  version: '1',
};

/**
 * The gateway's document without a database: its controllers over stubs (buildOpenApiDocument). The served one
 * (/docs-json) is built from the running app; test/openapi.int-spec.ts checks that both are the same.
 */
export function gatewayOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig(GatewayConfig, {
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi',
    JWT_SECRET: 'openapi-document-only-never-verifies-a-token',
    RELAY_ENABLED: 'false',
  });
  return buildOpenApiDocument(AppModule.forRoot(config), GATEWAY_OPENAPI);
}
