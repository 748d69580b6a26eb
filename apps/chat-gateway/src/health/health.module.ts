import { Module } from '@nestjs/common';
import { RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { PlatformHealthModule } from '@chat-ledger/platform';
import { HealthController } from './health.controller';

@Module({ imports: [PlatformHealthModule], controllers: [HealthController], providers: [RelayKafkaHealthIndicator] })
export class HealthModule {}
