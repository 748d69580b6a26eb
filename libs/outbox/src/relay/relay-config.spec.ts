import { IsBoolean } from 'class-validator';
import { logLevel } from 'kafkajs';
import { ConfigValidationError, loadConfig } from '@chat-ledger/platform';
import { relayOptionsFromEnv } from './relay-options';
import { OutboxRelayEnv } from './relay.env';

describe('relay configuration', () => {
  it('defaults: token-events with 16 partitions, batches of 500, 1 s poll, 200 ms..60 s backoff, 20 attempts, 7 days retention', () => {
    const env = loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092' });
    expect(relayOptionsFromEnv(env, 'postgres://db/x')).toMatchObject({
      topic: 'token-events',
      topicPartitions: 16,
      batchSize: 500,
      pollIntervalMs: 1_000,
      retryBaseMs: 200,
      retryMaxMs: 60_000,
      maxAttempts: 20,
      retentionMs: 7 * 86_400_000,
      kafka: { brokers: ['kafka-1:9092', 'kafka-2:9092'], ssl: false, clientId: 'chat-ledger-outbox-relay' },
    });
  });

  it('kafkajs settings of the relay: short retries, timeouts bounded by OUTBOX_SEND_TIMEOUT, kafkajs lines at debug', () => {
    const env = loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: 'k:9092', OUTBOX_SEND_TIMEOUT: '2s' });
    expect(relayOptionsFromEnv(env, 'postgres://db/x').kafka).toMatchObject({
      connectionTimeout: 2_000,
      requestTimeout: 2_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.NOTHING,
    });
    expect(relayOptionsFromEnv(loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: 'k:9092' }), 'postgres://db/x').kafka).toMatchObject({
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
    });
    const lines: Array<[string, unknown]> = [];
    const sink = {
      debug: (m: unknown) => lines.push(['debug', m]),
      warn: (m: unknown) => lines.push(['warn', m]),
      error: (m: unknown) => lines.push(['error', m]),
    };
    const kafka = relayOptionsFromEnv(env, 'postgres://db/x', sink).kafka;
    expect(kafka.logLevel).toBe(logLevel.WARN);
    kafka.logCreator!(logLevel.WARN)({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 'now', message: 'Connection error' },
    });
    expect(lines).toEqual([['debug', expect.objectContaining({ msg: 'kafkajs: Connection error' })]]);
  });

  it('reads durations such as 12h, 30m, 250ms', () => {
    const env = loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: 'k:9092', OUTBOX_RETENTION: '12h', OUTBOX_POLL_INTERVAL: '250ms', OUTBOX_RETRY_MAX: '30m' });
    expect([env.OUTBOX_RETENTION, env.OUTBOX_POLL_INTERVAL, env.OUTBOX_RETRY_MAX]).toEqual([43_200_000, 250, 1_800_000]);
  });

  it('builds SASL and SSL settings for production clusters', () => {
    const env = loadConfig(OutboxRelayEnv, {
      KAFKA_BROKERS: 'k:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(relayOptionsFromEnv(env, 'postgres://db/x').kafka).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 's3cret' },
    });
  });

  it('reports every bad key at once', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(OutboxRelayEnv, {
        KAFKA_BROKERS: 'no-port',
        KAFKA_SASL_MECHANISM: 'gssapi',
        OUTBOX_BATCH_SIZE: '0',
        OUTBOX_RETENTION: 'a week',
        KAFKA_TOPIC: 'bad topic',
      });
    } catch (e) {
      error = e as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const keys = error!.problems.map((p) => p.split(':')[0]);
    expect(new Set(keys)).toEqual(
      new Set(['KAFKA_BROKERS', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'OUTBOX_BATCH_SIZE', 'OUTBOX_RETENTION', 'KAFKA_TOPIC']),
    );
    expect(error!.problems).toContain('OUTBOX_RETENTION: OUTBOX_RETENTION must be a duration such as 7d');
  });

  it('requires KAFKA_BROKERS unless the host disables the relay, and SASL credentials with a mechanism', () => {
    expect(() => loadConfig(OutboxRelayEnv, {})).toThrow(
      'KAFKA_BROKERS: KAFKA_BROKERS must be a comma-separated host:port list (required unless RELAY_ENABLED=false)',
    );
    class Host extends OutboxRelayEnv {
      @IsBoolean()
      RELAY_ENABLED = false;
    }
    expect(() => loadConfig(Host, {})).not.toThrow();
    expect(() => loadConfig(OutboxRelayEnv, { KAFKA_BROKERS: 'k:1', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME is required/);
  });
});
