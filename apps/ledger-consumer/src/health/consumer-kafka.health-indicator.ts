import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { TokenEventsConsumer } from '../ingest/token-events.consumer';

/**
 * Terminus indicator of the Kafka consumer: in its group (or rebalancing) with the cluster answering
 * within a second. A consumer switched off (KAFKA_CONSUMER_ENABLED=false, read replicas) is up with
 * `consumer: 'disabled'`: terminus knows only up and down, and such an instance is ready to serve reads.
 */
@Injectable()
export class ConsumerKafkaHealthIndicator {
  constructor(
    private readonly consumer: TokenEventsConsumer,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'kafka'): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    const { status, ...detail } = await this.consumer.kafkaHealth();
    return status === 'down' ? check.down(detail) : check.up(detail);
  }
}
