import { IsBoolean, IsIn, IsString, Matches } from 'class-validator';
import { WithSchemaNamesEnv } from '@chat-ledger/database';
import { WithKafkaConnectionEnv, WithKafkaTopicEnv } from '@chat-ledger/kafka';
import { RELAY_KAFKA_CONNECTION, WithOutboxRelayEnv } from '@chat-ledger/outbox';
import { BaseEnv, EnvBool, EnvSecret, WithMetricsEnv } from '@chat-ledger/platform';
import { WithOtelEnv } from '@chat-ledger/telemetry';

/**
 * Environment of the standalone relay (apps/outbox-relay, `npm run start:relay`): the Kafka connection and topic keys
 * (libs/kafka; KAFKA_BROKERS always required, there is no RELAY_ENABLED here) and the relay's OUTBOX_* keys
 * (libs/outbox), METRICS_PORT / METRICS_HOST (libs/platform: where to serve /metrics and /health, which the relay
 * serves only with METRICS_PORT set), the OTEL_* keys (libs/telemetry) and the schema names (libs/database: OUTBOX_SCHEMA,
 * OUTBOX_TABLE are the ones the relay uses), plus where the outbox lives.
 */
export class RelayConfig extends WithOtelEnv(
  WithSchemaNamesEnv(WithMetricsEnv(WithOutboxRelayEnv(WithKafkaTopicEnv(WithKafkaConnectionEnv(BaseEnv, RELAY_KAFKA_CONNECTION))))),
  {
    serviceName: 'outbox-relay',
  },
) {
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
}
