import { HttpStatus, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction, HealthIndicatorResult } from '@nestjs/terminus';

/**
 * `ok`: every check is up. `degraded`: only optional checks are down (still ready). `unavailable`: a
 * required check is down. `shutting_down`: the app is closing (terminus' graceful shutdown).
 */
export type ReadinessStatus = 'ok' | 'degraded' | 'unavailable' | 'shutting_down';

export interface ReadinessBody {
  status: ReadinessStatus;
  /** Terminus' `details`: one entry per check, `{ status: 'up' | 'down', ...detail }`. */
  checks: HealthIndicatorResult;
}

export interface ReadinessReport {
  httpStatus: HttpStatus.OK | HttpStatus.SERVICE_UNAVAILABLE;
  body: ReadinessBody;
}

/**
 * Readiness through terminus' HealthCheckService, answered in this API's shape (`status`, `checks`).
 * Terminus fails readiness when any check is down; some of ours must not: with the relay in the
 * gateway, Kafka being down degrades it while writes keep landing in the outbox. Those checks are
 * named in `optional`.
 */
@Injectable()
export class ReadinessService {
  constructor(private readonly health: HealthCheckService) {}

  async check(indicators: HealthIndicatorFunction[], options: { optional?: string[] } = {}): Promise<ReadinessReport> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(indicators);
    } catch (error) {
      // Terminus answers a failed or shutting-down check with a 503 exception carrying the whole result.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    const checks = result.details;
    if (result.status === 'shutting_down') return { httpStatus: HttpStatus.SERVICE_UNAVAILABLE, body: { status: 'shutting_down', checks } };
    const optional = new Set(options.optional ?? []);
    const down = Object.keys(result.error ?? {});
    if (down.length === 0) return { httpStatus: HttpStatus.OK, body: { status: 'ok', checks } };
    if (down.every((key) => optional.has(key))) return { httpStatus: HttpStatus.OK, body: { status: 'degraded', checks } };
    return { httpStatus: HttpStatus.SERVICE_UNAVAILABLE, body: { status: 'unavailable', checks } };
  }
}
