import { Controller, Get, HttpException, HttpStatus, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { OutboxRelayService } from '@chat-ledger/outbox';
import { Public } from '@chat-ledger/platform';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly outboxRelay?: OutboxRelayService,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database answers within a second. With the relay enabled, `checks.kafka` reports
   * its producer (connected, last send ok); Kafka being down degrades but does not fail readiness:
   * writes keep landing in the outbox, which is the point of having one.
   */
  @Get('ready')
  async ready() {
    const checks: Record<string, { status: 'up' | 'down'; error?: string }> = {};
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 1000 ms')), 1000).unref()),
      ]);
      checks.database = { status: 'up' };
    } catch (error) {
      checks.database = { status: 'down', error: (error as Error).message };
    }
    const ok = Object.values(checks).every((c) => c.status === 'up');
    const kafka = this.outboxRelay?.kafkaHealth();
    if (kafka) checks.kafka = kafka;
    const body = { status: ok ? (kafka?.status === 'down' ? 'degraded' : 'ok') : 'unavailable', checks };
    if (!ok) throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
