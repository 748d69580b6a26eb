import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram, Registry } from 'prom-client';

export const HTTP_REQUEST_DURATION_SECONDS = 'http_request_duration_seconds';

/** `route` for a request no route matched (404s): unknown paths must not each become a series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The app's HTTP request duration histogram (a provider of its own: Nest builds middleware instances apart). */
@Injectable()
export class HttpRequestMetrics {
  readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: HTTP_REQUEST_DURATION_SECONDS,
      help: 'HTTP requests from arrival to the end of the response, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }
}

/**
 * Times every HTTP request into `http_request_duration_seconds{method,route,status}`. `route` is the
 * matched route pattern (/v1/conversations/:id), never the raw path, so the series stay few.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HttpRequestMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.metrics.duration.startTimer();
    // Nest mounts middleware as an Express catch-all route, so req.route is this middleware's own route
    // here; a controller route that handles the request replaces it, and it is still set when the response ends.
    const own: unknown = req.route;
    res.once('finish', () => {
      const route = req.route !== own ? (req.route as { path?: unknown } | undefined)?.path : undefined;
      end({ method: req.method, route: typeof route === 'string' ? route : UNMATCHED_ROUTE, status: String(res.statusCode) });
    });
    next();
  }
}
