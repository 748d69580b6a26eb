import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { LivenessResponse, Public, ReadinessResponse, ReadinessService } from '@chat-ledger/platform';
import { ConsumerKafkaHealthIndicator } from './consumer-kafka.health-indicator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: ConsumerKafkaHealthIndicator,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessResponse })
  live(): LivenessResponse {
    return { status: 'ok' };
  }

  /** Readiness: the database answers within a second, and the consumer is in its group with the cluster reachable. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database, and the Kafka consumer in its group' })
  @ApiOkResponse({ type: ReadinessResponse, description: 'ready' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'not ready (unavailable, shutting_down), with the checks' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadinessResponse> {
    const { httpStatus, body } = await this.readiness.check([
      () => this.database.pingCheck('database', { timeout: 1000 }),
      () => this.kafka.isHealthy('kafka'),
    ]);
    // The checks are the point of a failed readiness answer, so they stay in the 503 body.
    res.status(httpStatus);
    return body;
  }
}
