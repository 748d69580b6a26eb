import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { EnvBool, EnvDurationMs, EnvInt } from '@chat-ledger/platform';

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

const duration = (key: string, example: string) => ({ message: `${key} must be a duration such as ${example}` });

/**
 * Environment keys of the outbox relay and its Kafka producer. Hosts extend this class (chat-gateway's
 * GatewayConfig, the standalone relay's RelayConfig), so every host validates the same keys the same way.
 * KAFKA_BROKERS is required unless the host sets RELAY_ENABLED=false.
 */
export class OutboxRelayEnv {
  /** Comma-separated host:port list. */
  @ValidateIf((o: { RELAY_ENABLED?: boolean }) => o.RELAY_ENABLED !== false)
  @Matches(/^\s*[^,\s]+:\d{1,5}\s*(,\s*[^,\s]+:\d{1,5}\s*)*$/, {
    message: 'KAFKA_BROKERS must be a comma-separated host:port list (required unless RELAY_ENABLED=false)',
  })
  KAFKA_BROKERS?: string;

  @IsString() @Length(1, 100)
  KAFKA_CLIENT_ID = 'chat-ledger-outbox-relay';

  @EnvBool() @IsBoolean()
  KAFKA_SSL = false;

  @IsOptional() @IsIn(KAFKA_SASL_MECHANISMS as unknown as string[])
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

  @ValidateIf((o: OutboxRelayEnv) => o.KAFKA_SASL_MECHANISM !== undefined)
  @IsString({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' }) @Length(1, 500)
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf((o: OutboxRelayEnv) => o.KAFKA_SASL_MECHANISM !== undefined)
  @IsString({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' }) @Length(1, 1000)
  KAFKA_SASL_PASSWORD?: string;

  @IsString() @Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: 'KAFKA_TOPIC must be a valid Kafka topic name' })
  KAFKA_TOPIC = 'token-events';

  /** Partitions the topic must have; checked at start, never changed by the apps. */
  @EnvInt() @IsInt() @Min(1) @Max(10_000)
  KAFKA_TOPIC_PARTITIONS = 16;

  @EnvInt() @IsInt() @Min(1) @Max(10_000)
  OUTBOX_BATCH_SIZE = 500;

  /** Polling fallback; LISTEN/NOTIFY wakes the relay at once when rows are written. */
  @EnvDurationMs() @IsInt(duration('OUTBOX_POLL_INTERVAL', '1s')) @Min(10)
  OUTBOX_POLL_INTERVAL = 1_000;

  @EnvDurationMs() @IsInt(duration('OUTBOX_RETRY_BASE', '200ms')) @Min(1)
  OUTBOX_RETRY_BASE = 200;

  @EnvDurationMs() @IsInt(duration('OUTBOX_RETRY_MAX', '60s')) @Min(1)
  OUTBOX_RETRY_MAX = 60_000;

  /** A row becomes `dead` after this many failed publish attempts (default ≈ 12 minutes of outage with the default backoff). */
  @EnvInt() @IsInt() @Min(1) @Max(1_000)
  OUTBOX_MAX_ATTEMPTS = 20;

  /** Published rows older than this are deleted (they are the replay source until then). */
  @EnvDurationMs() @IsInt(duration('OUTBOX_RETENTION', '7d')) @Min(60_000)
  OUTBOX_RETENTION = 7 * 86_400_000;

  @EnvDurationMs() @IsInt(duration('OUTBOX_RETENTION_INTERVAL', '1m')) @Min(1_000)
  OUTBOX_RETENTION_INTERVAL = 60_000;

  /** Upper bound for one Kafka send (connect + produce + kafkajs' own short retries). */
  @EnvDurationMs() @IsInt(duration('OUTBOX_SEND_TIMEOUT', '10s')) @Min(100)
  OUTBOX_SEND_TIMEOUT = 10_000;

  /**
   * A relay whose database session goes silent for this long (host lost, network cut without a reset) loses
   * its shard leases to the other relays. Must exceed OUTBOX_SEND_TIMEOUT and OUTBOX_REBALANCE_INTERVAL.
   */
  @EnvDurationMs() @IsInt(duration('OUTBOX_LEASE_TIMEOUT', '30s')) @Min(1_000)
  OUTBOX_LEASE_TIMEOUT = 30_000;

  /** How often a relay re-counts live relays and takes or gives up shard leases. */
  @EnvDurationMs() @IsInt(duration('OUTBOX_REBALANCE_INTERVAL', '1s')) @Min(50)
  OUTBOX_REBALANCE_INTERVAL = 1_000;
}
