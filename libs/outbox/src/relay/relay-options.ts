import { buildKafkaConfig, KafkaLogSink } from './kafka-config';
import type { OutboxRelayOptions } from './outbox-relay';
import type { OutboxRelayEnv } from './relay.env';

/** The relay's runtime options from its validated environment. */
export function relayOptionsFromEnv(env: OutboxRelayEnv, databaseUrl: string, kafkaLog?: KafkaLogSink): OutboxRelayOptions {
  return {
    databaseUrl,
    kafka: buildKafkaConfig(env, kafkaLog),
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
