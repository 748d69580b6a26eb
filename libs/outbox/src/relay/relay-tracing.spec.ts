import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { keptTraceContextHook } from '@chat-ledger/telemetry';
import type { ClaimedRow } from './relay-store';
import { RelayBatchTrace } from './relay-tracing';

const SAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const NOT_SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

const row = (id: string, traceparent?: string): ClaimedRow => ({
  id,
  event_id: `event-${id}`,
  event_type: 'chat.message.recorded',
  partition_key: 'u',
  shard: 1,
  payload: '{}',
  headers: traceparent ? { traceparent } : {},
  attempts: 0,
});

describe('RelayBatchTrace', () => {
  const exporter = new InMemorySpanExporter();
  // Roots are never sampled, children follow their parent: a batch (a root) is dropped, its events' spans are not.
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('gives every event its own span in its own trace, sampled or not as that trace is, even when the batch is not sampled', async () => {
    const rows = [row('1', SAMPLED), row('2', NOT_SAMPLED), row('3')];
    const traced = RelayBatchTrace.start(rows, { topic: 'token-events', instanceId: 'relay-1', startTime: Date.now() });
    const messages = traced.messages(rows, (r) => ({ key: r.partition_key, value: r.payload, headers: { 'event-id': r.event_id, ...(r.headers as object) } }));
    // What kafkajs' instrumentation does to each message (its own send span in traceparent), then its producer hook.
    const send = trace.getTracer('kafkajs-like').startSpan('send', {}, ROOT_CONTEXT);
    for (const message of messages) {
      message.headers!.traceparent = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
      keptTraceContextHook(send, { message });
    }
    traced.end({ published: true });
    await provider.forceFlush();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['outbox publish']);
    const [publish] = spans;
    expect(publish!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(publish!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(publish!.attributes).toMatchObject({ 'messaging.message.id': 'event-1', 'outbox.row_id': '1' });
    // Each message carries its own event's context (the unsampled one says so), the one without a trace nothing new.
    expect(messages[0]!.headers!.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${publish!.spanContext().spanId}-01`);
    expect(messages[1]!.headers!.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    expect(messages[2]!.headers!.traceparent).toBe(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`);
  });
});
