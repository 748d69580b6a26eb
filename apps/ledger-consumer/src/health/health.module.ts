import { Module } from '@nestjs/common';
import { PlatformHealthModule } from '@chat-ledger/platform';
import { IngestModule } from '../ingest/ingest.module';
import { ConsumerKafkaHealthIndicator } from './consumer-kafka.health-indicator';
import { HealthController } from './health.controller';

@Module({ imports: [PlatformHealthModule, IngestModule], controllers: [HealthController], providers: [ConsumerKafkaHealthIndicator] })
export class HealthModule {}
