import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@chat-ledger/platform';
import { LedgerConfig } from './ledger.config';

const BASE = { DATABASE_URL: 'postgres://db/ledger', JWT_SECRET: 'x'.repeat(32) };

function problemKeys(env: Record<string, string>): Set<string> {
  try {
    loadConfig(LedgerConfig, env);
  } catch (error) {
    return new Set((error as ConfigValidationError).problems.map((p) => p.split(':')[0]));
  }
  return new Set();
}

describe('LedgerConfig (composed of the JWT and Kafka pieces)', () => {
  it('defaults: client id and group ledger-consumer, token-events with 16 partitions, no TLS or SASL', () => {
    expect(loadConfig(LedgerConfig, { ...BASE, KAFKA_BROKERS: 'k:9092' })).toMatchObject({
      KAFKA_CLIENT_ID: 'ledger-consumer',
      KAFKA_GROUP_ID: 'ledger-consumer',
      KAFKA_TOPIC: 'token-events',
      KAFKA_TOPIC_PARTITIONS: 16,
      KAFKA_SSL: false,
      JWT_MAX_LIFETIME: 30 * 86_400_000,
    });
  });

  it('retention windows: dead letters 30 days and the journal kept by default; durations or keep; the journal at least 32 days', () => {
    const env = { ...BASE, KAFKA_BROKERS: 'k:9092' };
    expect(loadConfig(LedgerConfig, env)).toMatchObject({ DEAD_LETTER_RETENTION: 30 * 86_400_000, JOURNAL_RETENTION: 0, RETENTION_BATCH_SIZE: 1000 });
    expect(loadConfig(LedgerConfig, { ...env, DEAD_LETTER_RETENTION: 'keep', JOURNAL_RETENTION: '400d' })).toMatchObject({
      DEAD_LETTER_RETENTION: 0,
      JOURNAL_RETENTION: 400 * 86_400_000,
    });
    expect(problemKeys({ ...env, JOURNAL_RETENTION: '7d', DEAD_LETTER_RETENTION: 'a while', RETENTION_BATCH_SIZE: '0' })).toEqual(
      new Set(['JOURNAL_RETENTION', 'DEAD_LETTER_RETENTION', 'RETENTION_BATCH_SIZE']),
    );
  });

  it('always requires KAFKA_BROKERS, even with the consumer off (the readiness probe and the DLQ producer use it too)', () => {
    expect(problemKeys(BASE)).toEqual(new Set(['KAFKA_BROKERS']));
    expect(problemKeys({ ...BASE, KAFKA_CONSUMER_ENABLED: 'false' })).toEqual(new Set(['KAFKA_BROKERS']));
  });

  it('lists the Kafka pieces’ problems with its own keys', () => {
    expect(
      problemKeys({
        ...BASE,
        KAFKA_BROKERS: 'k:1',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_DLQ_TOPIC: 'bad topic',
        KAFKA_GROUP_ID: 'bad group',
        KAFKA_TOPIC_PARTITIONS: 'x',
      }),
    ).toEqual(new Set(['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_DLQ_TOPIC', 'KAFKA_GROUP_ID', 'KAFKA_TOPIC_PARTITIONS']));
  });

  it('OTEL_SERVICE_NAME defaults to ledger-consumer; the OTEL_* and METRICS_* keys are validated with the others', () => {
    expect(loadConfig(LedgerConfig, { ...BASE, KAFKA_BROKERS: 'k:9092', METRICS_PORT: '9464' })).toMatchObject({
      OTEL_SERVICE_NAME: 'ledger-consumer',
      METRICS_PORT: 9464,
    });
    expect(problemKeys({ ...BASE, KAFKA_BROKERS: 'k:9092', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', METRICS_PORT: 'x' })).toEqual(
      new Set(['OTEL_EXPORTER_OTLP_ENDPOINT', 'METRICS_PORT']),
    );
  });

  it('CONSOLE_ORIGIN: the console origins allowed by CORS, comma-separated origins without a path, or none', () => {
    const origins = (value?: string) =>
      loadConfig(LedgerConfig, { ...BASE, KAFKA_BROKERS: 'k:1', ...(value === undefined ? {} : { CONSOLE_ORIGIN: value }) }).consoleOrigins;
    expect(origins()).toEqual(['http://localhost:3000']);
    expect(origins(' http://localhost:3000 , https://ops.example.com ')).toEqual(['http://localhost:3000', 'https://ops.example.com']);
    expect(origins('none')).toEqual([]);
    for (const bad of ['http://localhost:3000/console', 'localhost:3000', '*', 'http://a,', 'http://user@host']) {
      expect(problemKeys({ ...BASE, KAFKA_BROKERS: 'k:1', CONSOLE_ORIGIN: bad })).toEqual(new Set(['CONSOLE_ORIGIN']));
    }
  });
});
