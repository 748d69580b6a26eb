import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { Public } from '../auth/auth.decorators';
import { scrape } from './metrics-server';

/** GET /metrics in the Prometheus text format; public like health (no data, only numbers). */
@ApiTags('metrics')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics of the app and the process (text exposition format)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' }, description: 'Prometheus text format 0.0.4' })
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    const { contentType, body } = await scrape(this.registry);
    res.setHeader('content-type', contentType);
    res.setHeader('cache-control', 'no-store');
    return body;
  }
}
