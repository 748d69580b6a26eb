import { Context, context, propagation, ROOT_CONTEXT, SpanContext, TextMapGetter, trace } from '@opentelemetry/api';

/** Header values as kafkajs hands them over (and as an outbox row's jsonb headers hold them). */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined | null | unknown;
export type Headers = Record<string, HeaderValue>;

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') return first;
    if (Buffer.isBuffer(first)) return first.toString('utf8');
    return undefined;
  },
};

/**
 * The W3C trace context headers of `ctx` (`traceparent`, and `tracestate` when there is one): what an outbox row
 * stores and a Kafka message carries. Empty while tracing is off (no SDK, so no propagator) or without a span.
 */
export function traceHeadersOf(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a message's (or row's) trace headers name, as the parent of a span that continues that trace. */
export function contextFromHeaders(headers: Headers | null | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/** The span context a message's trace headers name (a link target); undefined without valid ones. */
export function spanContextFromHeaders(headers: Headers | null | undefined): SpanContext | undefined {
  const spanContext = trace.getSpanContext(contextFromHeaders(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** trace_id and span_id of the active span, for log lines; undefined when no span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : undefined;
}
