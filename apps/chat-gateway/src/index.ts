/**
 * The chat-gateway's public entry point: what tools/ and bench/ may use of the app (the lint rule lets them import
 * nothing else under apps/chat-gateway). The app itself starts from main.ts; tests reach inside it freely.
 */
// Schema (bench/ migrates a database of its own)
export { CHAT_MIGRATIONS, CHAT_SCHEMA } from './database/chat-migrations';
// The OpenAPI document without a database (npm run openapi:types)
export { gatewayOpenApiDocument } from './openapi';
// The app itself, for the benchmark's gateway without outbox rows (bench/apps/), which replaces its OutboxWriter
export { createGatewayApp } from './bootstrap';
export type { GatewayAppOptions } from './app.module';
export { GatewayConfig } from './config/gateway.config';
