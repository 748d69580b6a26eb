import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { OutboxRelayService } from './outbox-relay.module';

/**
 * Terminus indicator of the relay's Kafka side: up while the relay runs, its producer is connected and
 * its last send succeeded. Hosts provide it in their health module (it needs terminus' HealthIndicatorService).
 */
@Injectable()
export class RelayKafkaHealthIndicator {
  constructor(
    private readonly relay: OutboxRelayService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** False when the relay does not run in this process (chat-gateway with RELAY_ENABLED=false). */
  get enabled(): boolean {
    return this.relay.enabled;
  }

  isHealthy(key = 'kafka'): HealthIndicatorResult {
    const check = this.indicators.check(key);
    const kafka = this.relay.kafkaHealth() ?? { status: 'down' as const, error: 'relay disabled' };
    return kafka.status === 'up' ? check.up() : check.down({ error: kafka.error });
  }
}
