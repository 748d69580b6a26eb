import { DynamicModule, Module } from '@nestjs/common';
import { OutboxRelayModule, RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { MetricsModule, PlatformHealthModule } from '@chat-ledger/platform';
import { RelayHealthController } from './relay-health.controller';
import { RelayConfig } from './relay.config';

/** The standalone relay: the relay module, plus health next to /metrics when served over HTTP. */
@Module({})
export class RelayAppModule {
  static forRoot(config: RelayConfig): DynamicModule {
    return {
      module: RelayAppModule,
      imports: [MetricsModule.forRoot(), PlatformHealthModule, OutboxRelayModule.forRoot({ enabled: true, databaseUrl: config.DATABASE_URL, env: config })],
      controllers: [RelayHealthController],
      providers: [RelayKafkaHealthIndicator],
    };
  }
}
