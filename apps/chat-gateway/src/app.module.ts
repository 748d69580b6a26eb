import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions, schemaNamesFromEnv } from '@chat-ledger/database';
import { OutboxRelayModule, type OutboxWriter } from '@chat-ledger/outbox';
import { AuthGuard, jwtVerifierFromEnv, JwtVerifier, MetricsModule, writeThrottlerOptions, WriteThrottlerGuard } from '@chat-ledger/platform';
import { TelemetryModule } from '@chat-ledger/telemetry';
import { GatewayConfigModule } from './config/gateway-config.module';
import { GatewayConfig } from './config/gateway.config';
import { OutboxWriterModule } from './outbox-writer/outbox-writer.module';
import { BudgetsModule } from './budgets/budgets.module';
import { ConsoleModule } from './console/console.module';
import { ConversationsModule } from './conversations/conversations.module';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from './database/chat-migrations';
import { ErasureModule } from './erasure/erasure.module';
import { HealthModule } from './health/health.module';
import { MessagesModule } from './messages/messages.module';
import { RetentionModule } from './retention/retention.module';
import { OutboxAdminModule } from './outbox-admin/outbox-admin.module';
import { TasksModule } from './tasks/tasks.module';
import { TokenAdjustmentsModule } from './token-adjustments/token-adjustments.module';
import { UsageRecordsModule } from './usage-records/usage-records.module';

/** What a host may replace when it builds the gateway (main.ts replaces nothing). */
export interface GatewayAppOptions {
  /** Instead of the OutboxWriter every use case writes its events with (the benchmark's gateway without outbox rows). */
  outboxWriter?: OutboxWriter;
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, options: GatewayAppOptions = {}): DynamicModule {
    const writeLimit = { perSecond: config.RATE_LIMIT_WRITES_PER_SECOND, burst: config.RATE_LIMIT_WRITES_BURST };
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        OutboxWriterModule.forRoot(options.outboxWriter),
        TypeOrmModule.forRoot(
          buildDataSourceOptions({
            url: config.DATABASE_URL,
            schema: CHAT_SCHEMA,
            migrations: CHAT_MIGRATIONS,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'chat-gateway',
            names: schemaNamesFromEnv(config),
          }),
        ),
        HealthModule,
        ThrottlerModule.forRoot(writeThrottlerOptions(writeLimit)),
        ConversationsModule,
        MessagesModule,
        TokenAdjustmentsModule,
        BudgetsModule,
        TasksModule,
        UsageRecordsModule,
        ErasureModule,
        RetentionModule,
        // GET /metrics: the outbox's metrics, HTTP request durations and the process's (on METRICS_PORT when set).
        MetricsModule.forRoot({ port: config.METRICS_PORT, host: config.METRICS_HOST }),
        // Finished spans are exported before the process exits (a no-op while tracing is off).
        TelemetryModule,
        // The relay (when RELAY_ENABLED); OutboxAdmin: /v1/admin/outbox for operators.
        OutboxRelayModule.forRoot({ enabled: config.RELAY_ENABLED, databaseUrl: config.DATABASE_URL, schemaNames: schemaNamesFromEnv(config), env: config }),
        OutboxAdminModule,
        // GET /console/…: the operators' console (static files, public; the APIs it calls stay behind the guard).
        ConsoleModule,
      ],
      providers: [
        { provide: JwtVerifier, useValue: jwtVerifierFromEnv(config) },
        // Order matters: the rate limit is per authenticated user, so it runs after AuthGuard.
        { provide: APP_GUARD, useClass: AuthGuard },
        ...(writeLimit.perSecond > 0 ? [{ provide: APP_GUARD, useClass: WriteThrottlerGuard }] : []),
      ],
    };
  }
}
