import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { WithSchemaNamesEnv } from '@chat-ledger/database';
import { WithKafkaConnectionEnv, WithKafkaTopicEnv } from '@chat-ledger/kafka';
import { RELAY_KAFKA_CONNECTION, WithOutboxRelayEnv } from '@chat-ledger/outbox';
import { BaseEnv, EnvBool, EnvDurationMs, EnvInt, EnvRetentionMs, EnvSecret, WithJwtEnv, WithMetricsEnv, WithRetentionSweepEnv } from '@chat-ledger/platform';
import { WithOtelEnv } from '@chat-ledger/telemetry';

/**
 * Environment of chat-gateway. Every key is validated at boot; all problems are reported at once.
 * Composed of shared pieces: JWT_* (libs/platform), the Kafka connection and topic keys (libs/kafka; read the way
 * a relay host reads them: KAFKA_BROKERS is required while RELAY_ENABLED is true) and the relay's OUTBOX_* keys
 * (libs/outbox), METRICS_PORT / METRICS_HOST (libs/platform), the OTEL_* keys (libs/telemetry) and CHAT_SCHEMA,
 * LEDGER_SCHEMA, OUTBOX_SCHEMA, OUTBOX_TABLE (libs/database), plus the gateway's own below.
 */
export class GatewayConfig extends WithOtelEnv(
  WithSchemaNamesEnv(
    WithRetentionSweepEnv(WithMetricsEnv(WithOutboxRelayEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(WithJwtEnv(BaseEnv), RELAY_KAFKA_CONNECTION))))),
  ),
  { serviceName: 'chat-gateway' },
) {
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** A secret (it carries the password): also readable from DATABASE_URL_FILE. */
  @EnvSecret()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 20;

  @EnvBool()
  @IsBoolean()
  DB_MIGRATE = true;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @EnvInt()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(16 * 1024 * 1024)
  MESSAGE_MAX_BYTES = 256 * 1024;

  @EnvDurationMs()
  @IsInt({ message: 'IDEMPOTENCY_TTL must be a duration such as 24h' })
  @Min(60_000)
  IDEMPOTENCY_TTL = 24 * 3_600_000;

  @IsOptional()
  @IsString()
  EVENT_SOURCE = 'chat-gateway';

  /** Sustained write requests per second per user (429 with Retry-After beyond); 0 turns the limit off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(100_000)
  RATE_LIMIT_WRITES_PER_SECOND = 20;

  /**
   * Writes a user may send at once; with the rate it makes the window (burst / rate seconds) in which at
   * most this many writes count. At most 10,000: the throttler keeps one timestamp per write in the window.
   */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  RATE_LIMIT_WRITES_BURST = 100;

  /** How long a round's budget reservation holds room when its assistant message never arrives. */
  @EnvDurationMs()
  @IsInt({ message: 'BUDGET_RESERVATION_TTL must be a duration such as 10m' })
  @Min(1000)
  @Max(24 * 3_600_000)
  BUDGET_RESERVATION_TTL = 10 * 60_000;

  /** A running task without a heartbeat (PATCH) for this long is shown as stalled. */
  @EnvDurationMs()
  @IsInt({ message: 'TASK_STALL_AFTER must be a duration such as 5m' })
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  TASK_STALL_AFTER = 5 * 60_000;

  /** Largest task `metadata` object, in bytes of its JSON. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(1024 * 1024)
  TASK_METADATA_MAX_BYTES = 16 * 1024;

  /** Message content older than this is emptied (the message and its usage stay); `keep` (default): never. */
  @EnvRetentionMs()
  @IsInt({ message: 'MESSAGE_RETENTION must be a duration such as 365d, or keep' })
  MESSAGE_RETENTION = 0;

  /** Conversations soft-deleted longer ago than this are removed for good with their messages; `keep` (default): never. */
  @EnvRetentionMs()
  @IsInt({ message: 'DELETED_CONVERSATION_RETENTION must be a duration such as 30d, or keep' })
  DELETED_CONVERSATION_RETENTION = 0;

  /** Run the outbox relay inside the gateway (default). Set false when standalone relays (`npm run start:relay`) do it. */
  @EnvBool()
  @IsBoolean()
  RELAY_ENABLED = true;

  /**
   * Where browsers reach the ledger-consumer's API: the operators' console (/console/) calls it from the page, so
   * the page's Content-Security-Policy allows this origin and /console/config.json hands it to the app. A path
   * prefix is allowed (a reverse proxy); no query, no fragment.
   */
  @Matches(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, { message: 'LEDGER_PUBLIC_URL must be an http(s) URL such as http://localhost:3001' })
  LEDGER_PUBLIC_URL = 'http://localhost:3001';

  /** The built console (index.html and assets/); default: dist/console of this checkout or image (`npm run build`). */
  @IsOptional()
  @IsString()
  CONSOLE_DIR?: string;
}
