import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@chat-ledger/platform';
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics-registry';

/** GET /metrics in the Prometheus text format; public like health (no data, only numbers). */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @Header('content-type', PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  metrics(): Promise<string> {
    return this.registry.render();
  }
}
