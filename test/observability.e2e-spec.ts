import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { issueToken } from '@chat-ledger/platform';
import {
  AppProcess,
  createTestDatabase,
  createTestTopic,
  eventually,
  exposedMetricFamilies,
  findFreePort,
  HttpClient,
  isExposed,
  OtlpReceiver,
  OtlpSpanKind,
  promqlMetricNames,
  ReceivedSpan,
  testKafkaBrokers,
} from '@chat-ledger/testing';
import { TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';

const ROOT = join(__dirname, '..');

/**
 * Traces, logs and metrics of the three apps as real processes (OpenTelemetry's instrumentations patch Node's
 * require, which jest replaces), each exporting to a local OTLP/HTTP receiver: the gateway and the ledger in
 * protobuf, the standalone relay in JSON. Each serves /metrics on a METRICS_PORT of its own.
 */
describe('observability: one trace per chat message across gateway, relay and ledger; the metrics the dashboard and alerts read', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string, scopes: string[] = []) => issueToken({ userId, scopes }, secret);
  let receiver: OtlpReceiver;
  let gateway: AppProcess;
  let relay: AppProcess;
  let ledger: AppProcess;
  const url = { gateway: '', ledger: '', gatewayMetrics: '', relayMetrics: '', ledgerMetrics: '' };

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const [topic, databaseUrl] = await Promise.all([createTestTopic('observability', 4), createTestDatabase('observability')]);
    const [gatewayPort, ledgerPort, gatewayMetrics, relayMetrics, ledgerMetrics] = await Promise.all(Array.from({ length: 5 }, () => findFreePort()));
    const common = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: testKafkaBrokers(),
      KAFKA_TOPIC: topic,
      KAFKA_TOPIC_PARTITIONS: '4',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    [gateway, relay, ledger] = await Promise.all([
      AppProcess.start({
        entry: 'apps/chat-gateway/src/main.ts',
        env: { ...common, JWT_SECRET: secret, RELAY_ENABLED: 'false', PORT: String(gatewayPort), METRICS_PORT: String(gatewayMetrics) },
        readyWhen: '"chat-gateway listening"',
      }),
      AppProcess.start({
        entry: 'apps/outbox-relay/src/main.ts',
        env: { ...common, METRICS_PORT: String(relayMetrics), OUTBOX_POLL_INTERVAL: '200ms', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
        readyWhen: '"outbox relay running"',
      }),
      AppProcess.start({
        entry: 'apps/ledger-consumer/src/main.ts',
        env: { ...common, ...TEST_KAFKA_ENV, JWT_SECRET: secret, PORT: String(ledgerPort), METRICS_PORT: String(ledgerMetrics) },
        readyWhen: '"ledger-consumer listening"',
      }),
    ]);
    Object.assign(url, {
      gateway: `http://127.0.0.1:${gatewayPort}`,
      ledger: `http://127.0.0.1:${ledgerPort}`,
      gatewayMetrics: `http://127.0.0.1:${gatewayMetrics}`,
      relayMetrics: `http://127.0.0.1:${relayMetrics}`,
      ledgerMetrics: `http://127.0.0.1:${ledgerMetrics}`,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), relay?.stop(), ledger?.stop()]);
    await receiver?.stop();
  }, 60_000);

  const userId = `observed-${randomBytes(3).toString('hex')}`;
  // What a chat frontend sends: its own trace context, which the gateway continues.
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');

  it('one chat message is one trace: the gateway POST → outbox append → the relay publish → the ledger apply, batches linked', async () => {
    const ops = new HttpClient(url.ledger).as(token('finance', ['prices:admin']));
    await expect(
      ops.put('/v1/admin/prices/gpt-4o', { effective_from: '2020-01-01T00:00:00Z', input_per_mtok: '2.50', output_per_mtok: '10.00' }),
    ).resolves.toMatchObject({ status: 201 });
    const chat = new HttpClient(url.gateway).as(token(userId));
    const question = await chat.post('/v1/chat/messages', { role: 'user', content: 'how much is this?' });
    expect(question.status).toBe(201);
    const answer = await chat.post(
      `/v1/conversations/${question.body.conversation_id}/messages`,
      { role: 'assistant', content: 'this much', model: 'gpt-4o', usage: { prompt_tokens: 1200, completion_tokens: 300 } },
      { traceparent: `00-${traceId}-${clientSpanId}-01` },
    );
    expect(answer.status).toBe(201);

    // Each process exports on its own schedule: wait until the last of them has sent its part of the trace.
    const seen = () => new Set(receiver.trace(traceId).map((s) => `${s.service}: ${s.kind === OtlpSpanKind.server ? 'HTTP server' : s.name}`));
    const expected = ['chat-gateway: HTTP server', 'chat-gateway: outbox append', 'outbox-relay: outbox publish', 'ledger-consumer: ledger apply'];
    await eventually(() => expect([...seen()]).toEqual(expect.arrayContaining(expected)), { timeoutMs: 30_000 });
    const spans = receiver.trace(traceId);
    const apply = spans.find((s) => s.name === 'ledger apply')!;
    expect(receiver.rejected).toEqual([]);
    const one = (service: string, name: string) => {
      const found = spans.filter((s) => s.service === service && s.name === name);
      expect({ service, name, count: found.length }).toEqual({ service, name, count: 1 });
      return found[0]!;
    };

    // Gateway: the HTTP server span continues the client's context; the outbox append (and its INSERT) is under it.
    const server = spans.find((s) => s.service === 'chat-gateway' && s.kind === OtlpSpanKind.server)!;
    expect(server).toMatchObject({ parentSpanId: clientSpanId, protocol: 'http/protobuf' });
    expect(server.name).toMatch(/^POST/);
    const append = one('chat-gateway', 'outbox append');
    expect(ancestors(append, spans)).toContain(server.spanId);
    expect(append.attributes).toMatchObject({ 'chat_ledger.event_type': 'chat.message.recorded' });
    const eventId = append.attributes['messaging.message.id'];
    expect(spans.some((s) => s.service === 'chat-gateway' && s.scope.includes('instrumentation-pg') && ancestors(s, spans).includes(append.spanId))).toBe(true);

    // Relay: its publish of the event is a child of the stored context, exported over OTLP/JSON.
    const publish = one('outbox-relay', 'outbox publish');
    expect(publish).toMatchObject({ parentSpanId: append.spanId, kind: OtlpSpanKind.producer, protocol: 'http/json' });
    expect(publish.attributes).toMatchObject({ 'messaging.message.id': eventId });

    // Ledger: the apply of the event is a child of the relay's publish (through the Kafka traceparent header).
    expect(apply).toMatchObject({ service: 'ledger-consumer', parentSpanId: publish.spanId, kind: OtlpSpanKind.consumer });
    expect(apply.attributes).toMatchObject({ 'messaging.message.id': eventId, 'ledger.outcome': 'counted' });

    // The batches are traces of their own, linked to the events in them; kafkajs' and pg's spans are under them.
    const relayBatch = await eventually(() => linkedTo(append, 'outbox relay batch', 'outbox-relay'));
    expect(relayBatch.parentSpanId).toBe('');
    const batchSpans = receiver.trace(relayBatch.traceId);
    const send = batchSpans.find((s) => s.scope.includes('instrumentation-kafkajs') && s.links.some((l) => l.spanId === publish.spanId))!;
    expect(send).toMatchObject({ kind: OtlpSpanKind.producer, parentSpanId: relayBatch.spanId });
    expect(batchSpans.some((s) => s.scope.includes('instrumentation-pg') && s.parentSpanId === relayBatch.spanId)).toBe(true);
    const ledgerBatch = await eventually(() => linkedTo(publish, 'ledger apply batch', 'ledger-consumer'));
    expect(
      receiver.trace(ledgerBatch.traceId).some((s) => s.scope.includes('instrumentation-pg') && ancestors(s, receiver.spans).includes(ledgerBatch.spanId)),
    ).toBe(true);
    expect(receiver.trace(ledgerBatch.traceId).some((s) => s.scope.includes('instrumentation-kafkajs') && s.spanId === ledgerBatch.parentSpanId)).toBe(true);

    // Telemetry started before every instrumented module in each app (main.ts imports telemetry.ts first).
    for (const app of [gateway, relay, ledger]) expect(app.logs().filter((l) => l.context === 'Telemetry')).toEqual([]);
    // Logs written while a span is active name its trace: the gateway's access line of the POST.
    expect(gateway.logs().some((line) => line.msg === 'request' && line.method === 'POST' && line.trace_id === traceId)).toBe(true);
    // No span for scrapes or probes.
    await fetch(`${url.gateway}/health`);
    expect(receiver.spans.some((s) => s.kind === OtlpSpanKind.server && /^\/(metrics|health)/.test(String(s.attributes['url.path'])))).toBe(false);
  }, 90_000);

  it('serves /metrics on METRICS_PORT only, with tokens and cost per model; every metric the dashboard and the alert rules read is exposed', async () => {
    await expect(fetch(`${url.gateway}/metrics`).then((r) => r.status)).resolves.toBe(404);
    await expect(fetch(`${url.ledger}/metrics`).then((r) => r.status)).resolves.toBe(404);
    const scrape = async (base: string) => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const [gatewayText, relayText, ledgerText] = await Promise.all([scrape(url.gatewayMetrics), scrape(url.relayMetrics), scrape(url.ledgerMetrics)]);
    // 1,200 input × $2.50 + 300 output × $10.00 per 1M tokens = 6,000 micro-units.
    await eventually(async () => {
      const text = await scrape(url.ledgerMetrics);
      expect(text).toMatch(/^ledger_tokens_total\{model="gpt-4o",direction="spent"\} 1500$/m);
      expect(text).toMatch(/^ledger_cost_micros_total\{model="gpt-4o",direction="spent"\} 6000$/m);
    });
    expect(relayText).toMatch(/^outbox_published_total [1-9]/m);
    expect(gatewayText).toContain('# TYPE chat_tasks_stalled gauge');

    const families = new Map([...exposedMetricFamilies(gatewayText), ...exposedMetricFamilies(relayText), ...exposedMetricFamilies(ledgerText)]);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/chat-ledger.json'), 'utf8'));
    const alerts = loadYaml(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }>;
    };
    const rules = alerts.groups.flatMap((g) => g.rules);
    const expressions = [
      ...panelsOf(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...(dashboard.templating?.list ?? []).filter((v: { type: string }) => v.type === 'query').map((v: { query: string }) => v.query),
      ...rules.map((r) => r.expr),
    ];
    expect(expressions.length).toBeGreaterThan(25);
    const named = [...new Set(expressions.flatMap(promqlMetricNames))].sort();
    expect(named).toEqual(
      expect.arrayContaining(['ledger_consumer_lag', 'ledger_cost_micros_total', 'ledger_tokens_total', 'outbox_dead_rows', 'chat_tasks_stalled']),
    );
    expect(named.filter((name) => !isExposed(name, families))).toEqual([]);

    // Every rule has a severity, a summary and a runbook section that exists.
    const docs = readFileSync(join(ROOT, 'docs/observability.md'), 'utf8');
    const anchors = new Set([...docs.matchAll(/^#{1,6} (.+)$/gm)].map((m) => githubAnchor(m[1]!)));
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(warning|critical)$/),
        summary: 'string',
      });
      const [file, anchor] = (rule.annotations?.runbook_url ?? '').split('#');
      expect({ alert: rule.alert, file, anchorExists: anchors.has(anchor!) }).toEqual({ alert: rule.alert, file: 'docs/observability.md', anchorExists: true });
    }
  }, 60_000);

  function linkedTo(target: ReceivedSpan, name: string, service: string): ReceivedSpan {
    const span = receiver.spans.find(
      (s) => s.name === name && s.service === service && s.links.some((l) => l.traceId === target.traceId && l.spanId === target.spanId),
    );
    expect({ name, linked: span !== undefined }).toEqual({ name, linked: true });
    return span!;
  }
});

/** The span ids above `span` in its trace, nearest first. */
function ancestors(span: ReceivedSpan, spans: readonly ReceivedSpan[]): string[] {
  const byId = new Map(spans.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let parent = span.parentSpanId; parent && !chain.includes(parent); parent = byId.get(parent)?.parentSpanId ?? '') chain.push(parent);
  return chain;
}

interface Panel {
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

function panelsOf(dashboard: { panels?: Panel[] }): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...panelsOf(p)]);
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}
