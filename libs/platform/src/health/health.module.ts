import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReadinessService } from './readiness.service';

/**
 * Terminus for an app's health module: its HealthCheckService, HealthIndicatorService and built-in
 * indicators (TypeOrmHealthIndicator), plus ReadinessService. Terminus' own logger is off: readiness
 * is polled every few seconds, and the relay and the consumer already log their Kafka trouble once.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [ReadinessService],
  exports: [TerminusModule, ReadinessService],
})
export class PlatformHealthModule {}
