import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { WithKafkaConnectionEnv, WithKafkaTopicEnv } from '@chat-ledger/kafka';
import { RELAY_KAFKA_CONNECTION, WithOutboxRelayEnv } from '@chat-ledger/outbox';
import { BaseEnv, EnvBool, EnvInt, EnvSecret } from '@chat-ledger/platform';

/**
 * Environment of the standalone relay (apps/outbox-relay, `npm run start:relay`): the Kafka connection and topic keys
 * (libs/kafka; KAFKA_BROKERS always required, there is no RELAY_ENABLED here) and the relay's OUTBOX_* keys
 * (libs/outbox), plus where the outbox lives and where to serve /metrics.
 */
export class RelayConfig extends WithOutboxRelayEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(BaseEnv, RELAY_KAFKA_CONNECTION))) {
  /** A secret (it carries the password): also readable from DATABASE_URL_FILE. */
  @EnvSecret()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  /** Apply the outbox schema's migrations at start (under an advisory lock). */
  @EnvBool()
  @IsBoolean()
  DB_MIGRATE = true;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  /** When set, serves GET /metrics, /health and /health/ready on this port (0 = any free port). */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  @IsString()
  METRICS_HOST = '0.0.0.0';
}
