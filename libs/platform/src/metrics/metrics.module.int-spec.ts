import { Controller, Get, INestApplication, NotFoundException, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Registry } from 'prom-client';
import { Public } from '../auth/auth.decorators';
import { findFreePort } from '@chat-ledger/testing';
import { MetricsModule } from './metrics.module';

@Public()
@Controller('things')
class ThingsController {
  constructor(registry: Registry) {
    new Counter({ name: 'demo_things_total', help: 'Things.', registers: [registry] }).inc(2);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    if (id === 'missing') throw new NotFoundException();
    return { id };
  }
}

describe('MetricsModule (prom-client)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MetricsModule.forRoot()], controllers: [ThingsController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => app?.close());

  it('serves the app registry, the process metrics and HTTP request durations by route pattern on GET /metrics', async () => {
    await fetch(`${base}/things/a`);
    await fetch(`${base}/things/b`);
    await fetch(`${base}/things/missing`);
    await fetch(`${base}/no/such/path`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^demo_things_total 2$/m);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    // The pattern, not the path: one series for /things/a and /things/b.
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/things\/:id",status="200"\} 2$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/things\/:id",status="404"\} 1$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1$/m);
    expect(text).not.toContain('/no/such/path');
  });
});

describe('MetricsModule with a port of its own (METRICS_PORT)', () => {
  let app: INestApplication;
  let api: string;
  let metrics: string;

  beforeAll(async () => {
    const port = await findFreePort();
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ port, host: '127.0.0.1' })],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    api = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    metrics = `http://127.0.0.1:${port}`;
  });
  afterAll(() => app?.close());

  it('serves GET /metrics on that port only: the API answers 404 there, the metrics port serves nothing else', async () => {
    await fetch(`${api}/things/a`);
    const res = await fetch(`${metrics}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^demo_things_total 2$/m);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    // The API's requests are still timed, in the registry the metrics port serves.
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/things\/:id",status="200"\} 1$/m);
    await expect(fetch(`${api}/metrics`).then((r) => r.status)).resolves.toBe(404);
    await expect(fetch(`${metrics}/things/a`).then((r) => r.status)).resolves.toBe(404);
    await expect(fetch(`${metrics}/metrics`, { method: 'POST' }).then((r) => r.status)).resolves.toBe(404);
  });

  it('closes the metrics port with the app', async () => {
    await app.close();
    await expect(fetch(`${metrics}/metrics`)).rejects.toThrow();
  });
});
