import { DynamicModule, Module } from '@nestjs/common';
import { OutboxRelayModule, RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { MetricsModule, PlatformHealthModule } from '@chat-ledger/platform';
import { RelayConfig } from './config/relay.config';
import { HealthController } from './health/health.controller';

/** The standalone relay: the relay module, plus health next to /metrics when served over HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: RelayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [MetricsModule.forRoot(), PlatformHealthModule, OutboxRelayModule.forRoot({ enabled: true, databaseUrl: config.DATABASE_URL, env: config })],
      controllers: [HealthController],
      providers: [RelayKafkaHealthIndicator],
    };
  }
}
