import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@chat-ledger/platform';
import { GatewayConfig } from './gateway.config';

const BASE = { DATABASE_URL: 'postgres://db/chat', JWT_SECRET: 'x'.repeat(32) };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(GatewayConfig, env);
  } catch (error) {
    return (error as ConfigValidationError).problems;
  }
  return [];
}

describe('GatewayConfig (composed of the JWT, Kafka and relay pieces)', () => {
  it('requires KAFKA_BROKERS while it hosts the relay (the default), and says so', () => {
    expect(problems(BASE)).toEqual(['KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated host:port list (required unless RELAY_ENABLED=false)']);
    expect(problems({ ...BASE, RELAY_ENABLED: 'true' })).toHaveLength(1);
  });

  it('needs no Kafka at all with RELAY_ENABLED=false', () => {
    const config = loadConfig(GatewayConfig, { ...BASE, RELAY_ENABLED: 'false' });
    expect(config).toMatchObject({ RELAY_ENABLED: false, KAFKA_CLIENT_ID: 'chat-ledger-outbox-relay', KAFKA_TOPIC: 'token-events', OUTBOX_BATCH_SIZE: 500 });
    expect(config.KAFKA_BROKERS).toBeUndefined();
  });

  it('retention windows: kept by default; durations or keep', () => {
    const env = { ...BASE, RELAY_ENABLED: 'false' };
    expect(loadConfig(GatewayConfig, env)).toMatchObject({ MESSAGE_RETENTION: 0, DELETED_CONVERSATION_RETENTION: 0, RETENTION_INTERVAL: 60_000 });
    expect(loadConfig(GatewayConfig, { ...env, MESSAGE_RETENTION: '365d', DELETED_CONVERSATION_RETENTION: 'KEEP' })).toMatchObject({
      MESSAGE_RETENTION: 365 * 86_400_000,
      DELETED_CONVERSATION_RETENTION: 0,
    });
    expect(problems({ ...env, MESSAGE_RETENTION: 'forever' })).toEqual(['MESSAGE_RETENTION: MESSAGE_RETENTION must be a duration such as 365d, or keep']);
  });

  it('lists every bad key of every piece at once', () => {
    const keys = new Set(
      problems({ ...BASE, JWT_SECRET: 'short', KAFKA_BROKERS: 'k', KAFKA_SASL_MECHANISM: 'scram-sha-256', OUTBOX_BATCH_SIZE: '0', PORT: 'x' }).map(
        (p) => p.split(':')[0],
      ),
    );
    expect(keys).toEqual(new Set(['JWT_SECRET', 'KAFKA_BROKERS', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'OUTBOX_BATCH_SIZE', 'PORT']));
  });

  it('tracing off and /metrics on the API port by default; the OTEL_* and METRICS_* keys validated with the others', () => {
    expect(loadConfig(GatewayConfig, { ...BASE, RELAY_ENABLED: 'false' })).toMatchObject({
      OTEL_SERVICE_NAME: 'chat-gateway',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      METRICS_HOST: '0.0.0.0',
    });
    expect(loadConfig(GatewayConfig, { ...BASE, RELAY_ENABLED: 'false' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(loadConfig(GatewayConfig, { ...BASE, RELAY_ENABLED: 'false' }).METRICS_PORT).toBeUndefined();
    const keys = new Set(
      problems({ ...BASE, PORT: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER_ARG: '2', METRICS_PORT: '70000' }).map((p) => p.split(':')[0]),
    );
    expect(keys).toEqual(new Set(['KAFKA_BROKERS', 'PORT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER_ARG', 'METRICS_PORT']));
  });

  it('LEDGER_PUBLIC_URL: an http(s) URL for the console (default the local ledger-consumer), a path prefix allowed', () => {
    const env = { ...BASE, RELAY_ENABLED: 'false' };
    expect(loadConfig(GatewayConfig, env).LEDGER_PUBLIC_URL).toBe('http://localhost:3001');
    expect(loadConfig(GatewayConfig, { ...env, LEDGER_PUBLIC_URL: 'https://ops.example.com/ledger' }).LEDGER_PUBLIC_URL).toBe('https://ops.example.com/ledger');
    for (const bad of ['localhost:3001', 'ftp://x', 'http://x?y=1', 'http://x#f', 'javascript:alert(1)', 'http://user@x']) {
      expect(problems({ ...env, LEDGER_PUBLIC_URL: bad })).toEqual([
        'LEDGER_PUBLIC_URL: LEDGER_PUBLIC_URL must be an http(s) URL such as http://localhost:3001',
      ]);
    }
  });
});
