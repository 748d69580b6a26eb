import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '@chat-ledger/platform';
import { TokenEventsConsumer } from '../ingest/token-events.consumer';

type Check = { status: 'up' | 'down' | 'disabled'; [detail: string]: unknown };

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: TokenEventsConsumer,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the database answers within a second, and the consumer is in its group with the cluster reachable. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const [database, kafka] = await Promise.all([this.database(), this.consumer.kafkaHealth()]);
    const checks: Record<string, Check> = { database, kafka };
    const ok = Object.values(checks).every((c) => c.status !== 'down');
    const body = { status: ok ? 'ok' : 'unavailable', checks };
    // The checks are the point of a failed readiness answer, so they stay in the 503 body.
    if (!ok) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }

  private async database(): Promise<Check> {
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 1000 ms')), 1000).unref()),
      ]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: (error as Error).message };
    }
  }
}
