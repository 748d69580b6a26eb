import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HttpMetricsMiddleware, HttpRequestMetrics } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { METRICS_SERVER_OPTIONS, MetricsServer } from './metrics-server';

export interface MetricsModuleOptions {
  /** Serve GET /metrics on this port (METRICS_PORT; 0 = any free one) instead of on the app's own HTTP server. */
  port?: number;
  /** Interface of that port (METRICS_HOST); default 0.0.0.0. */
  host?: string;
}

/**
 * Prometheus metrics for one app: a prom-client Registry of its own (inject `Registry` to add
 * metrics to it), the process's default metrics, the HTTP request duration histogram and
 * GET /metrics, on the app's HTTP server or, with `port`, on a port of its own (and then not on the app's).
 * Global, so feature modules and libs (the outbox relay) inject the same Registry.
 * Import it once per app, in the root module.
 */
@Global()
@Module({})
export class MetricsModule implements NestModule {
  static forRoot(options: MetricsModuleOptions = {}): DynamicModule {
    const separate = options.port !== undefined;
    return {
      module: MetricsModule,
      controllers: separate ? [] : [MetricsController],
      providers: [
        { provide: Registry, useFactory: () => new Registry() },
        HttpRequestMetrics,
        ...(separate ? [{ provide: METRICS_SERVER_OPTIONS, useValue: { port: options.port, host: options.host ?? '0.0.0.0' } }, MetricsServer] : []),
      ],
      exports: [Registry],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
