import { hostname } from 'node:os';
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { keptTraceContextHook } from '../message-trace-context';
import { OtelSettings, parseKeyValueList } from '../otel.env';

/** Paths whose requests get no span: scrapes and probes every few seconds would drown the traces. */
const UNTRACED_PATHS = /^\/(metrics|health)(\/|\?|$)/;

/**
 * Links per span: a relay batch (OUTBOX_BATCH_SIZE, at most 10,000) and a ledger batch link every event in them;
 * the SDK's default keeps 128.
 */
const LINK_COUNT_LIMIT = 10_000;

export interface TracingSdk {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

function samplerOf(settings: OtelSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

/**
 * Starts OpenTelemetry tracing for this process: the tracer provider (batching exporter over OTLP/HTTP, protobuf
 * or JSON), the AsyncLocalStorage context manager, the W3C trace context propagator, and the instrumentations of
 * http, express, pg and kafkajs. Loaded only when tracing is on (startTelemetry requires this file then), and
 * before those modules are: instrumentations patch a module as it is required.
 */
export function startTracingSdk(settings: OtelSettings): TracingSdk {
  const url = `${settings.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/+$/, '')}/v1/traces`;
  const exporterConfig = { url, headers: parseKeyValueList(settings.OTEL_EXPORTER_OTLP_HEADERS), timeoutMillis: settings.OTEL_EXPORTER_OTLP_TIMEOUT };
  const exporter =
    settings.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJsonTraceExporter(exporterConfig) : new OtlpProtobufTraceExporter(exporterConfig);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      'service.instance.id': `${hostname()}:${process.pid}`,
      ...parseKeyValueList(settings.OTEL_RESOURCE_ATTRIBUTES),
      [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME,
    }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(settings),
    spanLimits: { linkCountLimit: LINK_COUNT_LIMIT },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY,
        maxQueueSize: settings.OTEL_BSP_MAX_QUEUE_SIZE,
        maxExportBatchSize: Math.min(512, settings.OTEL_BSP_MAX_QUEUE_SIZE),
        exportTimeoutMillis: settings.OTEL_EXPORTER_OTLP_TIMEOUT,
      }),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const unload = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // The apps' only outgoing HTTP is this exporter's, which the SDK already keeps out of the traces.
        requireParentforOutgoingSpans: true,
      }),
      // Nest's middleware (body parser, request ids, metrics) would add a span each to every request.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Queries outside a traced operation (the relay's idle polls, leases, scrape-time gauges) stay out of the traces.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      new KafkaJsInstrumentation({ producerHook: keptTraceContextHook }),
    ],
  });
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      unload();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      diag.disable();
    },
  };
}
