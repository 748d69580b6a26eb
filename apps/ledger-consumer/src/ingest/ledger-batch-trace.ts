import { Context, context, Link, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { EventHeaders } from '@chat-ledger/contracts';
import { contextFromHeaders, spanContextFromHeaders } from '@chat-ledger/telemetry';
import type { ConsumedRecord, DeadLetterRow } from './consumed-record';

/** A header as text (kafkajs hands Buffers over); what the producer said, so only an attribute, never trusted. */
function headerText(record: ConsumedRecord, name: string): string | undefined {
  const value = record.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString().slice(0, 200);
}

const tracer = trace.getTracer('@chat-ledger/ledger-consumer');

/**
 * The spans of one Kafka batch the ledger applies (no-ops while tracing is off). The same shape as the relay's:
 * the batch span (`ledger apply batch`: the transaction, the DLQ copies and the offset commit, with the pg and
 * kafkajs spans under it, itself under kafkajs' `poll` span) links to every record's trace, and every record
 * whose headers carry a trace context gets a span in that trace, a child of the relay's `outbox publish`:
 * `ledger apply`, from receipt to the offset commit, saying what became of the record (counted or dead letter).
 */
export class LedgerBatchTrace {
  private ended = false;

  private constructor(
    private readonly batch: Span,
    private readonly records: ReadonlyArray<{ record: ConsumedRecord; span: Span } | undefined>,
  ) {}

  static start(records: readonly ConsumedRecord[], position: { topic: string; partition: number }): LedgerBatchTrace {
    const batch = tracer.startSpan('ledger apply batch', {
      attributes: {
        'messaging.destination.name': position.topic,
        'messaging.destination.partition.id': String(position.partition),
        'ledger.batch.records': records.length,
      },
    });
    // Per-record spans do not depend on the batch being sampled: each follows its own trace's decision (parent-based).
    // While tracing is off no record yields a context (no propagator), so none is started.
    const batchLinks: Link[] = batch.isRecording() ? [{ context: batch.spanContext() }] : [];
    const links: Link[] = [];
    const spans = records.map((record) => {
      const parent = spanContextFromHeaders(record.headers);
      if (!parent) return undefined;
      links.push({ context: parent, attributes: { 'messaging.kafka.offset': record.offset } });
      const span = tracer.startSpan(
        'ledger apply',
        {
          kind: SpanKind.CONSUMER,
          links: batchLinks,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': record.topic,
            'messaging.destination.partition.id': String(record.partition),
            'messaging.kafka.offset': record.offset,
            ...optional('messaging.message.id', headerText(record, EventHeaders.eventId)),
            ...optional('chat_ledger.event_type', headerText(record, EventHeaders.eventType)),
          },
        },
        contextFromHeaders(record.headers),
      );
      return { record, span };
    });
    if (batch.isRecording()) batch.addLinks(links);
    return new LedgerBatchTrace(batch, spans);
  }

  get context(): Context {
    return trace.setSpan(context.active(), this.batch);
  }

  /** A retry of the batch (database unavailable): an event on the batch span. */
  retried(attempt: number, error: string): void {
    this.batch.addEvent('retry', { attempt, error });
  }

  /** The offsets are committed: every record's span says whether it was counted or dead-lettered, then all end. */
  committed(deadLetters: readonly DeadLetterRow[]): void {
    if (this.ended) return;
    const rejected = new Map(deadLetters.map((d) => [`${d.partition}:${d.offset}`, d.reason]));
    for (const entry of this.records) {
      if (!entry) continue;
      const reason = rejected.get(`${entry.record.partition}:${entry.record.offset}`);
      entry.span.setAttribute('ledger.outcome', reason ? 'dead_letter' : 'counted');
      if (reason) entry.span.setAttribute('ledger.dead_letter.reason', reason);
      entry.span.setStatus({ code: reason ? SpanStatusCode.ERROR : SpanStatusCode.OK, ...(reason ? { message: `dead letter: ${reason}` } : {}) });
    }
    this.batch.setStatus({ code: SpanStatusCode.OK });
    this.end();
  }

  /** The batch was not committed (stopping, partition reassigned, or an error): it will be delivered again. */
  notCommitted(why: string): void {
    if (this.ended) return;
    for (const span of [...this.records.map((e) => e?.span), this.batch]) span?.setStatus({ code: SpanStatusCode.ERROR, message: why });
    this.end();
  }

  private end(): void {
    this.ended = true;
    for (const entry of this.records) entry?.span.end();
    this.batch.end();
  }
}

function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [key]: value };
}
