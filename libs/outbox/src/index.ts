// Schema and migrations (run by whoever hosts the outbox: chat-gateway, apps/outbox-relay)
export * from './outbox-schema';
export * from './database/outbox-migrations';
// Write side
export * from './writer/outbox-writer';
export * from './writer/outbox-user-events';
// Erasure of a user's rows (the gateway's POST /v1/admin/users/:user_id/erase)
export * from './erasure/outbox-erasure';
// Relay
export * from './outbox-locks';
export * from './relay/shard-assignment';
export * from './relay/relay.env';
export * from './relay/relay-options';
export * from './relay/kafka-publisher';
export * from './relay/outbox-relay';
export * from './relay/outbox-relay.module';
export * from './relay/relay-kafka.health-indicator';
export * from './relay/relay-store';
// Operators: list, stats, replay, retry (the gateway's HTTP API and the CLI)
export * from './admin/outbox-admin.service';
export * from './admin/outbox-admin.repository';
export * from './admin/outbox-cursor';
export * from './admin/dto/list-outbox.query.dto';
export * from './admin/dto/replay-outbox.dto';
export * from './admin/dto/skip-outbox.dto';
export * from './admin/dto/outbox.response';
// Metrics
export * from './metrics/outbox-metrics';
