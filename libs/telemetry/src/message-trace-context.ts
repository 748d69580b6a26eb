import { Span } from '@opentelemetry/api';
import { spanContextFromHeaders, traceHeadersOf } from './trace-context';
import type { Context } from '@opentelemetry/api';

interface MessageLike {
  headers?: Record<string, unknown>;
}

/** Messages whose trace headers belong to their event, not to the send that carries them. */
const kept = new WeakMap<object, Record<string, string>>();

/**
 * Gives a Kafka message the trace context of `ctx` and keeps it through kafkajs' instrumentation.
 *
 * The instrumentation starts one "send" span per message as a child of the context active at `producer.send` and
 * writes that span into the message's `traceparent`. One send carries a whole relay batch, whose events belong
 * to as many traces as there are events, so the relay marks each message with its own event's context here and
 * the instrumentation's producer hook (`keptTraceContextHook`, installed by startTelemetry) puts it back and links
 * the send span to it. A consumer then continues the event's trace, not the batch's.
 */
export function keepTraceContext(message: MessageLike, ctx: Context): void {
  const headers = traceHeadersOf(ctx);
  if (!headers.traceparent) return;
  message.headers = { ...message.headers, ...headers };
  kept.set(message, headers);
}

/** kafkajs instrumentation `producerHook`: see keepTraceContext. */
export function keptTraceContextHook(span: Span, info: { message: MessageLike }): void {
  const headers = kept.get(info.message);
  if (!headers) return;
  const linked = spanContextFromHeaders(headers);
  const target = (info.message.headers ??= {});
  Object.assign(target, headers);
  if (!headers.tracestate) delete target.tracestate;
  if (linked) span.addLink({ context: linked });
}
