import 'reflect-metadata';
import { ConfigValidationError, loadConfig } from '@chat-ledger/platform';
import { RelayConfig } from './relay.config';

describe('RelayConfig (composed of the Kafka and relay pieces)', () => {
  it('always requires KAFKA_BROKERS (no RELAY_ENABLED here) and DATABASE_URL', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(RelayConfig, { RELAY_ENABLED: 'false' });
    } catch (e) {
      error = e as ConfigValidationError;
    }
    expect(new Set(error?.problems.map((p) => p.split(':')[0]))).toEqual(new Set(['KAFKA_BROKERS', 'DATABASE_URL']));
  });

  it('defaults: the relay client id, token-events with 16 partitions', () => {
    expect(loadConfig(RelayConfig, { KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://db/chat' })).toMatchObject({
      KAFKA_CLIENT_ID: 'chat-ledger-outbox-relay',
      KAFKA_TOPIC: 'token-events',
      KAFKA_TOPIC_PARTITIONS: 16,
      OUTBOX_SEND_TIMEOUT: 10_000,
      DB_MIGRATE: true,
    });
  });

  it('OTEL_SERVICE_NAME defaults to outbox-relay; METRICS_PORT unset (no HTTP at all) unless given', () => {
    const env = { KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://db/chat' };
    expect(loadConfig(RelayConfig, env)).toMatchObject({ OTEL_SERVICE_NAME: 'outbox-relay', METRICS_HOST: '0.0.0.0' });
    expect(loadConfig(RelayConfig, env).METRICS_PORT).toBeUndefined();
    expect(loadConfig(RelayConfig, { ...env, METRICS_PORT: '0', OTEL_SERVICE_NAME: 'relay-eu-1' })).toMatchObject({
      METRICS_PORT: 0,
      OTEL_SERVICE_NAME: 'relay-eu-1',
    });
  });
});
