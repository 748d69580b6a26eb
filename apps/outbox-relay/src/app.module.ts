import { schemaNamesFromEnv } from '@chat-ledger/database';
import { DynamicModule, Module } from '@nestjs/common';
import { OutboxRelayModule, RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { MetricsModule, PlatformHealthModule } from '@chat-ledger/platform';
import { TelemetryModule } from '@chat-ledger/telemetry';
import { RelayConfig } from './config/relay.config';
import { HealthController } from './health/health.controller';

/** The standalone relay: the relay module, plus health next to /metrics when served over HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: RelayConfig): DynamicModule {
    return {
      module: AppModule,
      // The whole HTTP server of this app is the METRICS_PORT one (main.ts), so /metrics is served by the module's controller.
      imports: [
        MetricsModule.forRoot(),
        PlatformHealthModule,
        OutboxRelayModule.forRoot({ enabled: true, databaseUrl: config.DATABASE_URL, schemaNames: schemaNamesFromEnv(config), env: config }),
        TelemetryModule,
      ],
      controllers: [HealthController],
      providers: [RelayKafkaHealthIndicator],
    };
  }
}
