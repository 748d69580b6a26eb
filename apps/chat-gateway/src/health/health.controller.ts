import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthIndicatorFunction, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { RelayKafkaHealthIndicator } from '@chat-ledger/outbox';
import { LivenessResponse, Public, ReadinessResponse, ReadinessService } from '@chat-ledger/platform';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: RelayKafkaHealthIndicator,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessResponse })
  live(): LivenessResponse {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database answers within a second. With the relay enabled, `checks.kafka` reports
   * its producer (connected, last send ok); Kafka being down degrades but does not fail readiness:
   * writes keep landing in the outbox, which is the point of having one.
   */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database; with the relay, its Kafka producer (down: degraded, still 200)' })
  @ApiOkResponse({ type: ReadinessResponse, description: 'ready: ok, or degraded when only Kafka is down' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'not ready (unavailable, shutting_down), with the checks' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout: 1000 })];
    if (this.kafka.enabled) checks.push(() => this.kafka.isHealthy('kafka'));
    const { httpStatus, body } = await this.readiness.check(checks, { optional: ['kafka'] });
    // The checks are the point of a failed readiness answer, so they stay in the 503 body.
    res.status(httpStatus);
    return body;
  }
}
