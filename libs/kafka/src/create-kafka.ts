import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, KafkaConfig, logLevel, LogEntry, OauthbearerProviderResponse, RetryOptions, SASLOptions } from 'kafkajs';
import type { KafkaConnectionSettings } from './kafka.env';

/** Where kafkajs' own log lines go; a Nest `Logger` fits. Every line is logged with the context `Kafka`. */
export interface KafkaLogger {
  debug(message: unknown, context?: string): void;
  warn(message: unknown, context?: string): void;
  error(message: unknown, context?: string): void;
}

export interface KafkaClientOptions {
  /** Overrides KAFKA_CLIENT_ID (the CLI and tools name themselves). */
  clientId?: string;
  /** Without a logger kafkajs logs nothing. */
  logger?: KafkaLogger;
  /** The lowest kafkajs level passed to the logger. Default `warn`: kafkajs is chatty at info. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Log every kafkajs line at debug whatever its level. The relay does: kafkajs logs every connection error of
   * every retry, and the relay logs its failed batches itself. Default: kafkajs errors at error, warnings at warn,
   * the rest at debug.
   */
  logAllAtDebug?: boolean;
  /** kafkajs `connectionTimeout` (its default: 1 s). */
  connectionTimeoutMs?: number;
  /** kafkajs `requestTimeout` (its default: 30 s). */
  requestTimeoutMs?: number;
  /** kafkajs `retry` (its default: 5 retries, 300 ms to 30 s). */
  retry?: RetryOptions;
}

/**
 * Short retries for clients whose caller bounds and retries the work itself (the relay's sends, the ledger's DLQ
 * copies): a request fails within a few seconds and the caller's own backoff takes over.
 */
export const KAFKA_SHORT_RETRY: RetryOptions = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 };

/** `a:9092, b:9092` → `['a:9092', 'b:9092']`. */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

const LEVELS = { debug: logLevel.DEBUG, info: logLevel.INFO, warn: logLevel.WARN, error: logLevel.ERROR } as const;

/** The fields of a kafkajs log entry worth keeping next to its message. */
const KEPT_FIELDS = ['groupId', 'memberId', 'topic', 'partition', 'broker', 'error', 'retryCount', 'retryTime'];

function logCreator(logger: KafkaLogger, allAtDebug: boolean): NonNullable<KafkaConfig['logCreator']> {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log as LogEntry['log'] & Record<string, unknown>;
      const entry: Record<string, unknown> = { msg: `kafkajs: ${message}`, kafkajs_namespace: namespace };
      for (const key of KEPT_FIELDS) if (extra[key] !== undefined) entry[key] = extra[key];
      if (allAtDebug) logger.debug(entry, 'Kafka');
      else if (level === logLevel.ERROR) logger.error(entry, 'Kafka');
      else if (level === logLevel.WARN) logger.warn(entry, 'Kafka');
      else logger.debug(entry, 'Kafka');
    };
}

/**
 * OAUTHBEARER: kafkajs asks for a token at every authentication (each new broker connection, and again when the
 * broker's session lifetime ends). The file is read each time, so whatever refreshes it (a sidecar, a mounted
 * secret) is picked up without a restart.
 */
export function oauthBearerFileProvider(path: string): () => Promise<OauthbearerProviderResponse> {
  return async () => {
    const value = (await readFile(path, 'utf8')).trim();
    if (!value) throw new Error(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ${path} is empty`);
    return { value };
  };
}

function saslOptions(settings: KafkaConnectionSettings): SASLOptions | undefined {
  const mechanism = settings.KAFKA_SASL_MECHANISM;
  if (!mechanism) return undefined;
  const username = settings.KAFKA_SASL_USERNAME ?? '';
  const password = settings.KAFKA_SASL_PASSWORD ?? '';
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
    case 'oauthbearer': {
      const file = settings.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE;
      if (!file) throw new Error('KAFKA_SASL_MECHANISM=oauthbearer needs KAFKA_SASL_OAUTHBEARER_TOKEN_FILE');
      return { mechanism, oauthBearerProvider: oauthBearerFileProvider(file) };
    }
  }
}

/** `true` (system CAs, verified) unless a CA, a client certificate or KAFKA_SSL_REJECT_UNAUTHORIZED=false says more. */
function sslOptions(settings: KafkaConnectionSettings): boolean | ConnectionOptions {
  if (!settings.KAFKA_SSL) return false;
  const tls: ConnectionOptions = {
    ...(settings.KAFKA_SSL_CA ? { ca: [settings.KAFKA_SSL_CA] } : {}),
    ...(settings.KAFKA_SSL_CERT ? { cert: settings.KAFKA_SSL_CERT } : {}),
    ...(settings.KAFKA_SSL_KEY ? { key: settings.KAFKA_SSL_KEY } : {}),
    ...(settings.KAFKA_SSL_REJECT_UNAUTHORIZED === false ? { rejectUnauthorized: false } : {}),
  };
  return Object.keys(tls).length === 0 ? true : tls;
}

/**
 * kafkajs settings from the connection keys (brokers split and trimmed, TLS with a CA and mTLS, SASL) and what the caller decides
 * (client id, logging, timeouts, retries). The relay keeps this plain object in its options; everyone else calls
 * `createKafka`.
 */
export function kafkaClientConfig(settings: KafkaConnectionSettings, options: KafkaClientOptions = {}): KafkaConfig {
  const brokers = parseBrokers(settings.KAFKA_BROKERS ?? '');
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set');
  const clientId = options.clientId ?? settings.KAFKA_CLIENT_ID;
  if (!clientId) throw new Error('a Kafka client needs a client id (KAFKA_CLIENT_ID or the clientId option)');
  const sasl = saslOptions(settings);
  return {
    clientId,
    brokers,
    ssl: sslOptions(settings),
    ...(sasl ? { sasl } : {}),
    ...(options.connectionTimeoutMs !== undefined ? { connectionTimeout: options.connectionTimeoutMs } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.logger
      ? { logLevel: LEVELS[options.logLevel ?? 'warn'], logCreator: logCreator(options.logger, options.logAllAtDebug ?? false) }
      : { logLevel: logLevel.NOTHING }),
  };
}

/** The one way the apps and tools make a kafkajs client: `new Kafka(kafkaClientConfig(settings, options))`. */
export function createKafka(settings: KafkaConnectionSettings, options: KafkaClientOptions = {}): Kafka {
  return new Kafka(kafkaClientConfig(settings, options));
}
