import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { WithSchemaNamesEnv } from '@chat-ledger/database';
import { KAFKA_TOPIC_NAME, WithKafkaConnectionEnv, WithKafkaTopicEnv } from '@chat-ledger/kafka';
import { BaseEnv, EnvBool, EnvDurationMs, EnvInt, EnvRetentionMs, EnvSecret, WithJwtEnv, WithMetricsEnv, WithRetentionSweepEnv } from '@chat-ledger/platform';
import { WithOtelEnv } from '@chat-ledger/telemetry';

/**
 * Environment of ledger-consumer. Every key is validated at boot; all problems are reported at once.
 * Composed of shared pieces: JWT_* (libs/platform) and the Kafka connection and topic keys (libs/kafka; KAFKA_BROKERS
 * always required, client id `ledger-consumer`), METRICS_PORT / METRICS_HOST (libs/platform) and the OTEL_* keys
 * (libs/telemetry), CHAT_SCHEMA / LEDGER_SCHEMA / OUTBOX_SCHEMA / OUTBOX_TABLE (libs/database), plus the ledger's own below (its consumer group, DLQ and
 * consumer tuning among them).
 */
export class LedgerConfig extends WithOtelEnv(
  WithSchemaNamesEnv(WithRetentionSweepEnv(WithMetricsEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), { clientId: 'ledger-consumer' }))))),
  {
    serviceName: 'ledger-consumer',
  },
) {
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3001;

  @IsString()
  HOST = '0.0.0.0';

  /** A secret (it carries the password): also readable from DATABASE_URL_FILE. */
  @EnvSecret()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @EnvInt()
  @IsInt()
  @Min(2)
  @Max(200)
  DB_POOL_SIZE = 10;

  @EnvBool()
  @IsBoolean()
  DB_MIGRATE = true;

  @EnvDurationMs()
  @IsInt({ message: 'DB_STATEMENT_TIMEOUT must be a duration such as 30s' })
  @Min(100)
  DB_STATEMENT_TIMEOUT = 30_000;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,255}$/, { message: 'KAFKA_GROUP_ID must be 1-255 of [A-Za-z0-9._-]' })
  KAFKA_GROUP_ID = 'ledger-consumer';

  /** Optional: rejected records are also published here (raw key, value and headers plus dlq-* headers). */
  @IsOptional()
  @IsString()
  @Matches(KAFKA_TOPIC_NAME, { message: 'KAFKA_DLQ_TOPIC must be a Kafka topic name' })
  KAFKA_DLQ_TOPIC?: string;

  /** Tries to copy a batch's dead letters to KAFKA_DLQ_TOPIC before leaving them for ledger:dlq-redrive. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(20)
  DLQ_PUBLISH_ATTEMPTS = 3;

  /** Upper bound of one DLQ send (kafkajs' own short retries included). */
  @EnvDurationMs()
  @IsInt({ message: 'DLQ_PUBLISH_TIMEOUT must be a duration such as 5s' })
  @Min(100)
  @Max(60_000)
  DLQ_PUBLISH_TIMEOUT = 5_000;

  @EnvInt()
  @IsInt()
  @Min(3000)
  @Max(300_000)
  KAFKA_SESSION_TIMEOUT_MS = 30_000;

  /** Default: a third of the session timeout, at most 3 s. */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  KAFKA_HEARTBEAT_INTERVAL_MS?: number;

  /** How long the broker may hold a fetch that has no new records yet. */
  @EnvInt()
  @IsInt()
  @Min(10)
  @Max(30_000)
  KAFKA_MAX_WAIT_MS = 100;

  /** Upper bound of one fetch per partition, hence of one batch (one transaction). */
  @EnvInt()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  KAFKA_MAX_BYTES_PER_PARTITION = 1024 * 1024;

  /** Partitions whose batches are applied in parallel by this instance (each its own transaction). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(64)
  KAFKA_PARTITIONS_CONCURRENCY = 4;

  /** false: HTTP read API only (no consumer), e.g. for extra read replicas. */
  @EnvBool()
  @IsBoolean()
  KAFKA_CONSUMER_ENABLED = true;

  /** Backoff of a batch whose transaction failed (database down): initial delay, doubled up to the max. */
  @EnvDurationMs()
  @IsInt({ message: 'BATCH_RETRY_INITIAL must be a duration such as 200ms' })
  @Min(10)
  BATCH_RETRY_INITIAL = 200;

  @EnvDurationMs()
  @IsInt({ message: 'BATCH_RETRY_MAX must be a duration such as 10s' })
  @Min(10)
  BATCH_RETRY_MAX = 10_000;

  /** A SIGTERM that has not finished stopping after this long exits the process with code 1. */
  @EnvDurationMs()
  @IsInt({ message: 'SHUTDOWN_TIMEOUT must be a duration such as 30s' })
  @Min(1000)
  SHUTDOWN_TIMEOUT = 30_000;

  /** Dead letters are deleted this long after they arrived (`keep`: never). See docs/data-lifecycle.md. */
  @EnvRetentionMs()
  @IsInt({ message: 'DEAD_LETTER_RETENTION must be a duration such as 30d, or keep' })
  DEAD_LETTER_RETENTION = 30 * 86_400_000;

  /**
   * Journal entries whose effective time is older than this are folded into the balances (totals unchanged, ids
   * kept for deduplication), hour by hour; `keep` (default): never. At least 32 days: the gateway's budget checks
   * (a month at most) and task views read the journal. See docs/data-lifecycle.md.
   */
  @EnvRetentionMs()
  @ValidateIf((env: LedgerConfig) => env.JOURNAL_RETENTION !== 0)
  @IsInt({ message: 'JOURNAL_RETENTION must be a duration such as 400d, or keep' })
  @Min(32 * 86_400_000, { message: 'JOURNAL_RETENTION must be at least 32d (budget periods read the journal), or keep' })
  JOURNAL_RETENTION = 0;

  /** ISO 4217 currency of every price and cost of this deployment (costs are integer micro-units of it). */
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'LEDGER_CURRENCY must be an ISO 4217 code such as USD' })
  LEDGER_CURRENCY = 'USD';

  /** JSON file of price versions loaded at start (versions already in the price book are kept as they are). */
  @IsOptional()
  @IsString()
  LEDGER_PRICES_FILE?: string;

  /**
   * Origins whose pages may call this API from a browser (CORS): the operators' console served by the gateway.
   * Comma-separated, each scheme://host[:port] exactly as the browser sends it (localhost and 127.0.0.1 differ);
   * `none`: no cross-origin access at all.
   */
  @Matches(/^\s*(none|https?:\/\/[^\s/?#@,]+\s*(,\s*https?:\/\/[^\s/?#@,]+\s*)*)$/, {
    message: 'CONSOLE_ORIGIN must be a comma-separated list of origins such as http://localhost:3000 (no path), or none',
  })
  CONSOLE_ORIGIN = 'http://localhost:3000';

  /** Largest number of buckets one timeline request may ask for. */
  @EnvInt()
  @IsInt()
  @Min(10)
  @Max(100_000)
  TIMELINE_MAX_BUCKETS = 1000;

  get consoleOrigins(): string[] {
    if (this.CONSOLE_ORIGIN.trim() === 'none') return [];
    return this.CONSOLE_ORIGIN.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  }

  get heartbeatIntervalMs(): number {
    return this.KAFKA_HEARTBEAT_INTERVAL_MS ?? Math.min(3000, Math.floor(this.KAFKA_SESSION_TIMEOUT_MS / 3));
  }
}
