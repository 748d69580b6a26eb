import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { OtlpReceiver, OtlpSpanKind } from '@chat-ledger/testing';

const ROOT = resolve(__dirname, '..', '..', '..');

/** Runs test/traced-child.ts as its own process (instrumentations patch the real require, which jest replaces). */
async function runChild(env: Record<string, string>) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', join(ROOT, 'libs/testing/src/register-ts.js'), join(ROOT, 'libs/telemetry/test/traced-child.ts')],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as { enabled: boolean; loadedTooEarly: string[]; loadedBeforeHttp: boolean; sdkLoaded: boolean };
}

describe('startTelemetry', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(() => receiver?.stop());

  it('without OTEL_EXPORTER_OTLP_ENDPOINT does nothing: neither the SDK nor an instrumentation is loaded', async () => {
    await expect(runChild({})).resolves.toEqual({ enabled: false, loadedTooEarly: [], loadedBeforeHttp: false, sdkLoaded: false });
    await expect(runChild({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'true' })).resolves.toMatchObject({
      enabled: false,
      sdkLoaded: false,
    });
    // A bad OTEL_* key leaves tracing off (the app's config then reports the key with every other bad one).
    await expect(runChild({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).resolves.toMatchObject({
      enabled: false,
      sdkLoaded: false,
    });
  }, 60_000);

  it.each(['http/protobuf', 'http/json'] as const)(
    'exports spans over OTLP/HTTP %s: the service, resource attributes and headers configured, server spans for requests but not for /metrics or /health',
    async (protocol) => {
      const service = `child-${protocol.replace('/', '-')}`;
      const report = await runChild({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret,x-team=ledger%20ops',
        OTEL_SERVICE_NAME: service,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,service.namespace=chat-ledger',
      });
      expect(report).toEqual({ enabled: true, loadedTooEarly: [], loadedBeforeHttp: true, sdkLoaded: true });
      const spans = receiver.spans.filter((s) => s.service === service);
      expect(receiver.rejected).toEqual([]);
      expect(spans.every((s) => s.protocol === protocol)).toBe(true);
      expect(spans[0]!.resource).toMatchObject({ 'service.name': service, 'deployment.environment.name': 'test', 'service.namespace': 'chat-ledger' });
      const work = spans.find((s) => s.name === 'work')!;
      expect(work).toMatchObject({ kind: OtlpSpanKind.internal, parentSpanId: '', scope: 'traced-child' });
      // The request made inside `work` is one trace: work → GET (client) → GET (server).
      const client = spans.find((s) => s.kind === OtlpSpanKind.client)!;
      const server = spans.find((s) => s.kind === OtlpSpanKind.server && s.attributes['url.path'] === '/work')!;
      expect(client).toMatchObject({ traceId: work.traceId, parentSpanId: work.spanId });
      expect(server).toMatchObject({ traceId: work.traceId, parentSpanId: client.spanId });
      expect(spans.filter((s) => s.kind === OtlpSpanKind.server).map((s) => s.attributes['url.path'])).toEqual(['/work']);
      expect(receiver.requests.some((h) => h['x-api-key'] === 's3cret' && h['x-team'] === 'ledger ops')).toBe(true);
    },
    60_000,
  );

  it('names the instrumented modules that were loaded before it started (they are not traced)', async () => {
    await expect(runChild({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, PRELOAD: 'kafkajs' })).resolves.toMatchObject({
      enabled: true,
      loadedTooEarly: ['kafkajs'],
    });
  }, 60_000);
});
