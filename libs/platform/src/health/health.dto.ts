import { ApiProperty } from '@nestjs/swagger';
import { HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessBody, ReadinessStatus } from './readiness.service';

export class LivenessResponse {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

const READINESS_STATUSES: ReadinessStatus[] = ['ok', 'degraded', 'unavailable', 'shutting_down'];

/** What /health/ready answers, 200 and 503 alike: the status and terminus' details of every check. */
export class ReadinessResponse implements ReadinessBody {
  @ApiProperty({
    enum: READINESS_STATUSES,
    enumName: 'ReadinessStatus',
    description: 'ok, degraded (only optional checks down; 200), unavailable or shutting_down (503)',
  })
  status!: ReadinessStatus;

  @ApiProperty({
    type: 'object',
    description: 'one entry per check (database, kafka, …): its status and what the check reports',
    example: { database: { status: 'up' }, kafka: { status: 'down', error: 'not connected' } },
    additionalProperties: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['up', 'down'] } },
      additionalProperties: true,
    },
  })
  checks!: HealthIndicatorResult;
}
