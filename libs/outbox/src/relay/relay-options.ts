import { KAFKA_SHORT_RETRY, kafkaClientConfig, KafkaLogger } from '@chat-ledger/kafka';
import type { OutboxRelayOptions } from './outbox-relay';
import type { OutboxRelayEnv } from './relay.env';

/** The relay's runtime options from its validated environment. */
export function relayOptionsFromEnv(env: OutboxRelayEnv, databaseUrl: string, kafkaLog?: KafkaLogger): OutboxRelayOptions {
  return {
    databaseUrl,
    // Retries are deliberately short: a send fails within a few seconds and the relay's own per-row backoff
    // (attempts, next_attempt_at) takes over, so one outage never wedges the loop inside kafkajs. kafkajs logs every
    // connection error of every retry; the relay logs failed batches itself, so kafkajs' lines go to debug.
    kafka: kafkaClientConfig(env, {
      logger: kafkaLog,
      logLevel: 'warn',
      logAllAtDebug: true,
      connectionTimeoutMs: Math.min(3_000, env.OUTBOX_SEND_TIMEOUT),
      requestTimeoutMs: env.OUTBOX_SEND_TIMEOUT,
      retry: KAFKA_SHORT_RETRY,
    }),
    brokersLabel: env.KAFKA_BROKERS ?? '',
    topic: env.KAFKA_TOPIC,
    topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
    batchSize: env.OUTBOX_BATCH_SIZE,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL,
    retryBaseMs: env.OUTBOX_RETRY_BASE,
    retryMaxMs: Math.max(env.OUTBOX_RETRY_MAX, env.OUTBOX_RETRY_BASE),
    maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
    retentionMs: env.OUTBOX_RETENTION,
    retentionIntervalMs: env.OUTBOX_RETENTION_INTERVAL,
    sendTimeoutMs: env.OUTBOX_SEND_TIMEOUT,
    rebalanceIntervalMs: env.OUTBOX_REBALANCE_INTERVAL,
    leaseTimeoutMs: env.OUTBOX_LEASE_TIMEOUT,
  };
}
