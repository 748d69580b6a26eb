import { KafkaConfig, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import type { OutboxRelayEnv } from './relay.env';

export interface KafkaLogSink {
  debug(message: unknown, context?: string): void;
}

export function parseBrokers(value: string): string[] {
  return value.split(',').map((b) => b.trim()).filter(Boolean);
}

/**
 * kafkajs client settings for the relay. Retries are deliberately short: a send fails within a few
 * seconds and the relay's own per-row backoff (attempts, next_attempt_at) takes over, so one outage
 * never wedges the loop inside kafkajs.
 */
export function buildKafkaConfig(env: OutboxRelayEnv, sink?: KafkaLogSink): KafkaConfig {
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set');
  let sasl: SASLOptions | undefined;
  if (env.KAFKA_SASL_MECHANISM) {
    const username = env.KAFKA_SASL_USERNAME ?? '';
    const password = env.KAFKA_SASL_PASSWORD ?? '';
    sasl =
      env.KAFKA_SASL_MECHANISM === 'plain'
        ? { mechanism: 'plain', username, password }
        : env.KAFKA_SASL_MECHANISM === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return {
    clientId: env.KAFKA_CLIENT_ID,
    brokers: parseBrokers(env.KAFKA_BROKERS),
    ssl: env.KAFKA_SSL,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: Math.min(3_000, env.OUTBOX_SEND_TIMEOUT),
    requestTimeout: env.OUTBOX_SEND_TIMEOUT,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    // kafkajs logs every connection error of every retry; the relay logs failed batches itself.
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      sink?.debug({ msg: `kafkajs: ${message}`, kafkajs_namespace: entry.namespace, error: (rest as { error?: string }).error }, 'Kafka');
    },
  };
}
