import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions, schemaNamesFromEnv } from '@chat-ledger/database';
import { AuthGuard, jwtVerifierFromEnv, JwtVerifier, MetricsModule } from '@chat-ledger/platform';
import { TelemetryModule } from '@chat-ledger/telemetry';
import { LedgerConfigModule } from './config/ledger-config.module';
import { LedgerConfig } from './config/ledger.config';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from './database/ledger-migrations';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { FatalHandler, LEDGER_FATAL } from './ingest/token-events.consumer';
import { LedgerMetricsModule } from './metrics/ledger-metrics.module';
import { PricesModule } from './prices/prices.module';
import { RetentionModule } from './retention/retention.module';
import { SequenceGapsModule } from './sequence-gaps/sequence-gaps.module';
import { UsageModule } from './usage/usage.module';

@Module({})
export class AppModule {
  static forRoot(config: LedgerConfig, onFatal: FatalHandler): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LedgerConfigModule.forRoot(config),
        TypeOrmModule.forRoot(
          buildDataSourceOptions({
            url: config.DATABASE_URL,
            schema: LEDGER_SCHEMA,
            migrations: LEDGER_MIGRATIONS,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'ledger-consumer',
            names: schemaNamesFromEnv(config),
            statementTimeoutMs: config.DB_STATEMENT_TIMEOUT,
          }),
        ),
        FatalModule.forRoot(onFatal),
        // GET /metrics, on METRICS_PORT when set.
        MetricsModule.forRoot({ port: config.METRICS_PORT, host: config.METRICS_HOST }),
        LedgerMetricsModule,
        // Finished spans are exported before the process exits (a no-op while tracing is off).
        TelemetryModule,
        IngestModule,
        HealthModule,
        UsageModule,
        SequenceGapsModule,
        DeadLettersModule,
        PricesModule,
        RetentionModule,
      ],
      providers: [
        { provide: JwtVerifier, useValue: jwtVerifierFromEnv(config) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}

@Module({})
class FatalModule {
  static forRoot(onFatal: FatalHandler): DynamicModule {
    return { module: FatalModule, global: true, providers: [{ provide: LEDGER_FATAL, useValue: onFatal }], exports: [LEDGER_FATAL] };
  }
}
