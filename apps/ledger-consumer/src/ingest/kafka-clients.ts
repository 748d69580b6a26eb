import { Logger } from '@nestjs/common';
import { Kafka, KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import { LedgerConfig } from '../config/ledger.config';

/** kafkajs' own log lines, routed through the app's logger (info and debug only at debug level). */
function logCreator(): KafkaConfig['logCreator'] {
  const logger = new Logger('Kafka');
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const entry = { msg: `kafkajs: ${message}`, ...pick(extra) };
      if (level === logLevel.ERROR) logger.error(entry);
      else if (level === logLevel.WARN) logger.warn(entry);
      else logger.debug(entry);
    };
}

function pick(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['groupId', 'memberId', 'topic', 'partition', 'broker', 'error', 'retryCount', 'retryTime']) {
    if (extra[key] !== undefined) out[key] = extra[key];
  }
  return out;
}

export function kafkaConfig(config: LedgerConfig, overrides: Partial<KafkaConfig> = {}): KafkaConfig {
  const sasl: SASLOptions | undefined = config.KAFKA_SASL_MECHANISM
    ? ({ mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME!, password: config.KAFKA_SASL_PASSWORD! } as SASLOptions)
    : undefined;
  return {
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.kafkaBrokers,
    ssl: config.KAFKA_SSL,
    ...(sasl ? { sasl } : {}),
    logLevel: config.LOG_LEVEL === 'debug' ? logLevel.DEBUG : logLevel.WARN,
    logCreator: logCreator(),
    ...overrides,
  };
}

/**
 * The Kafka clients of the app. `main` carries the consumer; `dlq` the DLQ producer, with short retries so
 * one copy fails within DLQ_PUBLISH_TIMEOUT; `probe` answers readiness checks and fails fast (no retries)
 * so /health/ready never hangs on a dead broker.
 */
export class KafkaClients {
  readonly main: Kafka;
  readonly dlq: Kafka;
  readonly probe: Kafka;

  constructor(config: LedgerConfig) {
    this.main = new Kafka(kafkaConfig(config));
    this.dlq = new Kafka(kafkaConfig(config, { requestTimeout: config.DLQ_PUBLISH_TIMEOUT, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } }));
    this.probe = new Kafka(kafkaConfig(config, { connectionTimeout: 1000, requestTimeout: 1000, retry: { retries: 0 } }));
  }
}
