/**
 * A process that starts telemetry the way the apps' main.ts do, serves and calls HTTP, runs one span of its own,
 * then prints what it saw as one JSON line and exits (start-telemetry.int-spec.ts runs it with different env).
 * PRELOAD=kafkajs loads kafkajs before telemetry starts: the import-order mistake startTelemetry reports.
 */
import { startTelemetry } from '../src/start-telemetry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
if (process.env.PRELOAD) require(process.env.PRELOAD);
const telemetry = startTelemetry(process.env, { serviceName: 'traced-child' });

async function main(): Promise<void> {
  const sdkLoaded = () => Object.keys(require.cache).some((path) => /[\\/]@opentelemetry[\\/](sdk-trace|instrumentation)/.test(path));
  const loadedBeforeHttp = sdkLoaded();
  // Loaded after telemetry started, as the apps load it.
  const http = await import('node:http');
  const { trace } = await import('@opentelemetry/api');
  const server = http.createServer((req, res) => res.end(req.url));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const get = (path: string) =>
    new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', resolve)).on('error', reject));
  await trace.getTracer('traced-child').startActiveSpan('work', async (span) => {
    await get('/work');
    span.end();
  });
  await get('/metrics');
  await get('/health/ready');
  server.close();
  await telemetry.shutdown();
  process.stdout.write(
    `${JSON.stringify({ enabled: telemetry.enabled, loadedTooEarly: telemetry.loadedTooEarly, loadedBeforeHttp, sdkLoaded: sdkLoaded() })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
