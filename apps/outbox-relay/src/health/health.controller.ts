import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { OutboxRelayService } from '@chat-ledger/outbox';

/** Liveness and readiness of the standalone relay (only served with METRICS_PORT). */
@Controller('health')
export class HealthController {
  constructor(private readonly relay: OutboxRelayService) {}

  @Get()
  live() {
    return { status: 'ok' };
  }

  /** Ready when the relay runs and its producer is connected with the last send ok. */
  @Get('ready')
  ready() {
    const kafka = this.relay.kafkaHealth() ?? { status: 'down' as const, error: 'relay disabled' };
    const status = this.relay.relay?.status();
    const body = {
      status: kafka.status === 'up' ? 'ok' : 'unavailable',
      checks: { kafka },
      relay: status && { instance_id: status.instanceId, shards: status.shards.length, relays: status.relays, listening: status.listening },
    };
    if (kafka.status !== 'up') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
