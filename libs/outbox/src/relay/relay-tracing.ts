import { Context, context, Link, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Message } from 'kafkajs';
import { contextFromHeaders, keepTraceContext, spanContextFromHeaders } from '@chat-ledger/telemetry';
import type { ClaimedRow } from './relay-store';

const tracer = trace.getTracer('@chat-ledger/outbox');

/**
 * The spans of one relay batch (no-ops while tracing is off).
 *
 * A batch mixes the events of many requests, so it cannot belong to any one of their traces: the batch span
 * (`outbox relay batch`, the claim's transaction, the Kafka send and the marking, with the pg and kafkajs spans
 * under it) starts a trace of its own and *links* to every event's trace. Each event that carries a stored trace
 * context (the `outbox append` span of the request that wrote it) also gets a span *in its own trace*, a child of
 * that context: `outbox publish`, from claim to the end of the send. Its context is what the Kafka message
 * carries in `traceparent`, so the ledger's processing of the event continues the same trace. One chat round is
 * then one trace from the gateway's POST to the ledger's apply, and the batch is one click away through the links.
 */
export class RelayBatchTrace {
  private constructor(
    private readonly batch: Span,
    private readonly events: Array<Span | undefined>,
  ) {}

  static start(rows: readonly ClaimedRow[], options: { topic: string; instanceId: string; startTime: number }): RelayBatchTrace {
    const batch = tracer.startSpan('outbox relay batch', {
      root: true,
      startTime: options.startTime,
      attributes: { 'outbox.batch.rows': rows.length, 'outbox.relay.instance_id': options.instanceId, 'messaging.destination.name': options.topic },
    });
    // Per-event spans do not depend on the batch being sampled: each follows its own trace's decision (parent-based).
    // While tracing is off no row yields a context (no propagator), so none is started.
    const batchLinks: Link[] = batch.isRecording() ? [{ context: batch.spanContext() }] : [];
    const links: Link[] = [];
    const events = rows.map((row) => {
      const parent = spanContextFromHeaders(row.headers);
      if (!parent) return undefined;
      links.push({ context: parent, attributes: { 'messaging.message.id': row.event_id } });
      return tracer.startSpan(
        'outbox publish',
        {
          kind: SpanKind.PRODUCER,
          startTime: options.startTime,
          links: batchLinks,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': options.topic,
            'messaging.message.id': row.event_id,
            'outbox.row_id': row.id,
            'chat_ledger.event_type': row.event_type,
          },
        },
        contextFromHeaders(row.headers),
      );
    });
    if (batch.isRecording()) batch.addLinks(links);
    return new RelayBatchTrace(batch, events);
  }

  /** The context the batch's work runs in (the pg and kafkajs spans become children of the batch span). */
  get context(): Context {
    return trace.setSpan(context.active(), this.batch);
  }

  /** The Kafka messages of the rows, each carrying its own event's trace context (see keepTraceContext). */
  messages(rows: readonly ClaimedRow[], toMessage: (row: ClaimedRow) => Message): Message[] {
    return rows.map((row, i) => {
      const message = toMessage(row);
      const span = this.events[i];
      if (span) keepTraceContext(message, trace.setSpan(ROOT_CONTEXT, span));
      return message;
    });
  }

  /** Ends every span: ok when the rows were published, else an error saying why. */
  end(outcome: { published: true } | { published: false; error: string }): void {
    for (const span of [...this.events, this.batch]) {
      if (!span) continue;
      if (outcome.published) span.setStatus({ code: SpanStatusCode.OK });
      else span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      span.end();
    }
  }
}
