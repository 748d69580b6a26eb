import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { createKafka, KAFKA_SHORT_RETRY, kafkaClientConfig, KafkaLogger, parseBrokers } from './create-kafka';

function recordingLogger() {
  const lines: Array<{ level: 'debug' | 'warn' | 'error'; message: unknown; context?: string }> = [];
  const logger: KafkaLogger = {
    debug: (message, context) => lines.push({ level: 'debug', message, context }),
    warn: (message, context) => lines.push({ level: 'warn', message, context }),
    error: (message, context) => lines.push({ level: 'error', message, context }),
  };
  return { logger, lines };
}

function emit(config: ReturnType<typeof kafkaClientConfig>, level: logLevel, log: Record<string, unknown>): void {
  const write = config.logCreator!(config.logLevel!);
  write({ namespace: 'Connection', level, label: 'x', log: { timestamp: 'now', message: 'm', ...log } } as LogEntry);
}

describe('createKafka / kafkaClientConfig', () => {
  it('splits and trims the brokers, takes the client id, TLS and SASL from the settings', () => {
    const config = kafkaClientConfig({
      KAFKA_BROKERS: ' a:9092 ,b:9093,, ',
      KAFKA_CLIENT_ID: 'ledger-consumer',
      KAFKA_SSL: true,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(config).toMatchObject({
      clientId: 'ledger-consumer',
      brokers: ['a:9092', 'b:9093'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    expect(parseBrokers('x:1, y:2')).toEqual(['x:1', 'y:2']);
  });

  it('leaves kafkajs its own timeouts and retries unless the caller sets them', () => {
    const plain = kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' });
    expect(plain).not.toHaveProperty('connectionTimeout');
    expect(plain).not.toHaveProperty('requestTimeout');
    expect(plain).not.toHaveProperty('retry');
    expect(plain).not.toHaveProperty('sasl');
    expect(plain.ssl).toBe(false);
    const tuned = kafkaClientConfig(
      { KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' },
      { connectionTimeoutMs: 500, requestTimeoutMs: 2_000, retry: KAFKA_SHORT_RETRY },
    );
    expect(tuned).toMatchObject({ connectionTimeout: 500, requestTimeout: 2_000, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
  });

  it('the clientId option wins over KAFKA_CLIENT_ID; a client needs brokers and an id', () => {
    expect(kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'ledger-consumer' }, { clientId: 'chat-ledger-cli' }).clientId).toBe('chat-ledger-cli');
    expect(kafkaClientConfig({ KAFKA_BROKERS: 'a:1' }, { clientId: 'chaos-verifier' }).clientId).toBe('chaos-verifier');
    expect(() => kafkaClientConfig({ KAFKA_CLIENT_ID: 'c' })).toThrow('KAFKA_BROKERS is not set');
    expect(() => kafkaClientConfig({ KAFKA_BROKERS: ' , ', KAFKA_CLIENT_ID: 'c' })).toThrow('KAFKA_BROKERS is not set');
    expect(() => kafkaClientConfig({ KAFKA_BROKERS: 'a:1' })).toThrow(/client id/);
  });

  it('without a logger kafkajs logs nothing', () => {
    const config = kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' });
    expect(config.logLevel).toBe(logLevel.NOTHING);
    expect(config.logCreator).toBeUndefined();
  });

  it('with a logger: warn and above by default, kafkajs errors at error and warnings at warn, context Kafka, the useful fields kept', () => {
    const { logger, lines } = recordingLogger();
    const config = kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' }, { logger });
    expect(config.logLevel).toBe(logLevel.WARN);
    emit(config, logLevel.ERROR, { message: 'Connection error', broker: 'a:1', error: 'ECONNREFUSED', stack: 'long' });
    emit(config, logLevel.WARN, { message: 'rebalancing', groupId: 'g' });
    emit(config, logLevel.INFO, { message: 'started' });
    expect(lines).toEqual([
      {
        level: 'error',
        context: 'Kafka',
        message: { msg: 'kafkajs: Connection error', kafkajs_namespace: 'Connection', broker: 'a:1', error: 'ECONNREFUSED' },
      },
      { level: 'warn', context: 'Kafka', message: { msg: 'kafkajs: rebalancing', kafkajs_namespace: 'Connection', groupId: 'g' } },
      { level: 'debug', context: 'Kafka', message: { msg: 'kafkajs: started', kafkajs_namespace: 'Connection' } },
    ]);
    expect(kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' }, { logger, logLevel: 'debug' }).logLevel).toBe(logLevel.DEBUG);
  });

  it('logAllAtDebug sends every kafkajs line to debug (the relay logs its failures itself)', () => {
    const { logger, lines } = recordingLogger();
    const config = kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c' }, { logger, logAllAtDebug: true });
    emit(config, logLevel.ERROR, { message: 'Connection error' });
    expect(lines.map((l) => l.level)).toEqual(['debug']);
  });

  it('createKafka returns a kafkajs client without connecting', () => {
    expect(createKafka({ KAFKA_BROKERS: 'a:1' }, { clientId: 'c' })).toBeInstanceOf(Kafka);
  });

  it('TLS: true for system CAs; the CA, client certificate and key (mTLS) and rejectUnauthorized when given; nothing without KAFKA_SSL', () => {
    const base = { KAFKA_BROKERS: 'a:9093', KAFKA_CLIENT_ID: 'c' };
    expect(kafkaClientConfig({ ...base, KAFKA_SSL: true, KAFKA_SSL_REJECT_UNAUTHORIZED: true }).ssl).toBe(true);
    expect(kafkaClientConfig({ ...base, KAFKA_SSL: true, KAFKA_SSL_CA: 'CA', KAFKA_SSL_CERT: 'CERT', KAFKA_SSL_KEY: 'KEY' }).ssl).toEqual({
      ca: ['CA'],
      cert: 'CERT',
      key: 'KEY',
    });
    expect(kafkaClientConfig({ ...base, KAFKA_SSL: true, KAFKA_SSL_REJECT_UNAUTHORIZED: false }).ssl).toEqual({ rejectUnauthorized: false });
    expect(kafkaClientConfig({ ...base, KAFKA_SSL: false, KAFKA_SSL_CA: 'CA' }).ssl).toBe(false);
  });

  it('SASL PLAIN and SCRAM carry the username and password', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      expect(
        kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c', KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })
          .sasl,
      ).toEqual({
        mechanism,
        username: 'u',
        password: 'p',
      });
    }
  });

  it('SASL OAUTHBEARER reads the token file at every provider call, so a refreshed token is used without a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oauth-')), 'token');
    writeFileSync(file, 'first-token\n');
    const sasl = kafkaClientConfig({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'c', KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: file })
      .sasl as Extract<SASLOptions, { mechanism: 'oauthbearer' }>;
    expect(sasl.mechanism).toBe('oauthbearer');
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'first-token' });
    writeFileSync(file, 'refreshed-token');
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'refreshed-token' });
    writeFileSync(file, '\n');
    await expect(sasl.oauthBearerProvider()).rejects.toThrow('is empty');
  });
});
