import { IsInt, Max, Min } from 'class-validator';
import { KafkaConnectionEnvOptions, KafkaConnectionSettings, KafkaTopicSettings, WithKafkaConnectionEnv, WithKafkaTopicEnv } from '@chat-ledger/kafka';
import { BaseEnv, EnvDurationMs, EnvInt } from '@chat-ledger/platform';

const duration = (key: string, example: string) => ({ message: `${key} must be a duration such as ${example}` });

/**
 * How a relay host reads libs/kafka's connection keys: client id `chat-ledger-outbox-relay`, and KAFKA_BROKERS
 * required unless the host has RELAY_ENABLED=false (chat-gateway with standalone relays; a schema without
 * RELAY_ENABLED always requires it).
 */
export const RELAY_KAFKA_CONNECTION: KafkaConnectionEnvOptions = {
  clientId: 'chat-ledger-outbox-relay',
  brokersRequired: (config) => (config as { RELAY_ENABLED?: unknown }).RELAY_ENABLED !== false,
  brokersRequiredHint: 'required unless RELAY_ENABLED=false',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type KafkaEnvClass = new (...args: any[]) => KafkaConnectionSettings & KafkaTopicSettings;

/**
 * The relay's own keys (OUTBOX_*) as a schema piece. It goes on top of libs/kafka's connection and topic pieces
 * (the type requires them), so a host composes, e.g. chat-gateway's GatewayConfig
 * `extends WithOutboxRelayEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), RELAY_KAFKA_CONNECTION)))`
 * and the standalone relay's RelayConfig the same without the JWT piece.
 */
export function WithOutboxRelayEnv<TBase extends KafkaEnvClass>(Base: TBase) {
  class OutboxRelayEnvKeys extends Base {
    @EnvInt()
    @IsInt()
    @Min(1)
    @Max(10_000)
    OUTBOX_BATCH_SIZE = 500;

    /** Polling fallback; LISTEN/NOTIFY wakes the relay at once when rows are written. */
    @EnvDurationMs()
    @IsInt(duration('OUTBOX_POLL_INTERVAL', '1s'))
    @Min(10)
    OUTBOX_POLL_INTERVAL = 1_000;

    @EnvDurationMs()
    @IsInt(duration('OUTBOX_RETRY_BASE', '200ms'))
    @Min(1)
    OUTBOX_RETRY_BASE = 200;

    @EnvDurationMs()
    @IsInt(duration('OUTBOX_RETRY_MAX', '60s'))
    @Min(1)
    OUTBOX_RETRY_MAX = 60_000;

    /** A row becomes `dead` after this many failed publish attempts (default ≈ 12 minutes of outage with the default backoff). */
    @EnvInt()
    @IsInt()
    @Min(1)
    @Max(1_000)
    OUTBOX_MAX_ATTEMPTS = 20;

    /** Published rows older than this are deleted (they are the replay source until then). */
    @EnvDurationMs()
    @IsInt(duration('OUTBOX_RETENTION', '7d'))
    @Min(60_000)
    OUTBOX_RETENTION = 7 * 86_400_000;

    @EnvDurationMs()
    @IsInt(duration('OUTBOX_RETENTION_INTERVAL', '1m'))
    @Min(1_000)
    OUTBOX_RETENTION_INTERVAL = 60_000;

    /** Upper bound for one Kafka send (connect + produce + kafkajs' own short retries). */
    @EnvDurationMs()
    @IsInt(duration('OUTBOX_SEND_TIMEOUT', '10s'))
    @Min(100)
    OUTBOX_SEND_TIMEOUT = 10_000;

    /**
     * A relay whose database session goes silent for this long (host lost, network cut without a reset) loses
     * its shard leases to the other relays. Must exceed OUTBOX_SEND_TIMEOUT and OUTBOX_REBALANCE_INTERVAL.
     */
    @EnvDurationMs()
    @IsInt(duration('OUTBOX_LEASE_TIMEOUT', '30s'))
    @Min(1_000)
    OUTBOX_LEASE_TIMEOUT = 30_000;

    /** How often a relay re-counts live relays and takes or gives up shard leases. */
    @EnvDurationMs()
    @IsInt(duration('OUTBOX_REBALANCE_INTERVAL', '1s'))
    @Min(50)
    OUTBOX_REBALANCE_INTERVAL = 1_000;
  }
  return OutboxRelayEnvKeys;
}

/**
 * Everything the relay reads and nothing else: the Kafka connection and topic keys and the OUTBOX_* keys. The type
 * `relayOptionsFromEnv` and OutboxRelayModule take (a host's config matches it structurally), and a schema of its
 * own for tests and bench.
 */
export class OutboxRelayEnv extends WithOutboxRelayEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(BaseEnv, RELAY_KAFKA_CONNECTION))) {}
