import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { OutboxRelayService, RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { ReadinessService } from '@chat-ledger/platform';

/** Liveness and readiness of the standalone relay (only served with METRICS_PORT). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly kafka: RelayKafkaHealthIndicator,
    private readonly relay: OutboxRelayService,
  ) {}

  @Get()
  live() {
    return { status: 'ok' };
  }

  /** Ready when the relay runs and its producer is connected with the last send ok; Kafka is all it does. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const { httpStatus, body } = await this.readiness.check([() => this.kafka.isHealthy('kafka')]);
    const status = this.relay.relay?.status();
    res.status(httpStatus);
    return {
      ...body,
      relay: status && { instance_id: status.instanceId, shards: status.shards.length, relays: status.relays, listening: status.listening },
    };
  }
}
