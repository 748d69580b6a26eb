import 'reflect-metadata';
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ConsumedRecord, DeadLetterRow } from './consumed-record';
import { LedgerBatchTrace } from './ledger-batch-trace';

const traceparent = (n: number) => `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01`;
const record = (offset: string, headers: Record<string, string> = {}): ConsumedRecord => ({
  topic: 'token-events',
  partition: 3,
  offset,
  key: null,
  value: null,
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp: '0',
});

describe('LedgerBatchTrace', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  const finished = async () => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };

  it('a committed batch: each record with a trace context gets `ledger apply` in its trace, saying counted or dead letter; the batch links them', async () => {
    const records = [
      record('10', { traceparent: traceparent(1), 'event-id': 'e-1', 'event-type': 'chat.message.recorded' }),
      record('11', { traceparent: traceparent(2) }),
      record('12'),
    ];
    const traced = LedgerBatchTrace.start(records, { topic: 'token-events', partition: 3 });
    traced.committed([{ partition: 3, offset: '11', reason: 'invalid_data' } as DeadLetterRow]);

    const spans = await finished();
    const applies = spans.filter((s) => s.name === 'ledger apply');
    expect(applies.map((s) => [s.spanContext().traceId, s.parentSpanContext?.spanId, s.attributes['ledger.outcome'], s.status.code])).toEqual([
      ['1'.repeat(32), '1'.repeat(16), 'counted', SpanStatusCode.OK],
      ['2'.repeat(32), '2'.repeat(16), 'dead_letter', SpanStatusCode.ERROR],
    ]);
    expect(applies[0]!.attributes).toMatchObject({
      'messaging.message.id': 'e-1',
      'chat_ledger.event_type': 'chat.message.recorded',
      'messaging.kafka.offset': '10',
    });
    const batch = spans.find((s) => s.name === 'ledger apply batch')!;
    expect(batch.links.map((l) => l.context.traceId)).toEqual(['1'.repeat(32), '2'.repeat(32)]);
    expect(batch.status.code).toBe(SpanStatusCode.OK);
  });

  it('a batch not committed ends every span with an error once (its redelivery is traced anew)', async () => {
    const traced = LedgerBatchTrace.start([record('5', { traceparent: traceparent(3) })], { topic: 'token-events', partition: 3 });
    traced.notCommitted('abandoned before commit');
    traced.notCommitted('again');
    traced.committed([]);
    const spans = await finished();
    expect(spans.map((s) => [s.name, s.status])).toEqual([
      ['ledger apply', { code: SpanStatusCode.ERROR, message: 'abandoned before commit' }],
      ['ledger apply batch', { code: SpanStatusCode.ERROR, message: 'abandoned before commit' }],
    ]);
  });
});
