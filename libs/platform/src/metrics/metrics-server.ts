import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { processMetricsRegistry } from './process-metrics';

export const METRICS_SERVER_OPTIONS = Symbol('METRICS_SERVER_OPTIONS');

export interface MetricsServerOptions {
  port: number;
  host: string;
}

/** What GET /metrics answers: the app's registry merged, per scrape, with the process metrics. */
export async function scrape(registry: Registry): Promise<{ contentType: string; body: string }> {
  // Merged per scrape: app metrics may be registered after start (the relay's on bootstrap).
  const merged = Registry.merge([registry, processMetricsRegistry()]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}

/**
 * GET /metrics on a port of its own (METRICS_PORT), started with the app and closed with it. A bare node:http
 * server: it answers scrapes only, so none of the API's middleware, guards or routes are reachable through it.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly registry: Registry,
    @Inject(METRICS_SERVER_OPTIONS) private readonly options: MetricsServerOptions,
  ) {}

  /** The port it listens on (the one the OS picked for METRICS_PORT=0). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves GET /metrics only\n');
        return;
      }
      scrape(this.registry).then(
        ({ contentType, body }) =>
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log({ msg: 'metrics listening', port: this.port, host: this.options.host });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
