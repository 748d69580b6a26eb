import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HttpMetricsMiddleware, HttpRequestMetrics } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';

/**
 * Prometheus metrics for one app: a prom-client Registry of its own (inject `Registry` to add
 * metrics to it), the process's default metrics, the HTTP request duration histogram and
 * GET /metrics. Global, so feature modules and libs (the outbox relay) inject the same Registry.
 * Import it once per app, in the root module.
 */
@Global()
@Module({})
export class MetricsModule implements NestModule {
  static forRoot(): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: Registry, useFactory: () => new Registry() }, HttpRequestMetrics],
      exports: [Registry],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
