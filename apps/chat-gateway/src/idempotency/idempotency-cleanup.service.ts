import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '../config/gateway.config';
import { IdempotencyRepository } from './idempotency.repository';

/** Forgets idempotency keys after IDEMPOTENCY_TTL, a few thousand rows at a time. */
@Injectable()
export class IdempotencyCleanupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyCleanupService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: IdempotencyRepository,
    private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.IDEMPOTENCY_TTL);
    let total = 0;
    try {
      for (let deleted = -1; deleted !== 0; total += deleted) {
        deleted = await this.keys.deleteOlderThan(this.dataSource.manager, cutoff, 5_000);
        if (deleted < 0) deleted = 0;
      }
      if (total > 0) this.logger.log({ msg: 'expired idempotency keys deleted', count: total });
    } catch (error) {
      // A missed sweep only delays cleanup; the next interval retries.
      this.logger.warn(`idempotency key cleanup failed: ${(error as Error).message}`);
    }
    return total;
  }
}
