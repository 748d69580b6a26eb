import { startTelemetry } from '@chat-ledger/telemetry';

/**
 * OpenTelemetry for this process, started as this module is loaded: main.ts imports it before anything else, since
 * the instrumentations patch http, express, pg and kafkajs as they are required. Off (and the SDK not even
 * loaded) unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the OTEL_* keys are validated again, with every other key,
 * by the app's config.
 */
export const telemetry = startTelemetry(process.env, { serviceName: 'chat-gateway' });
