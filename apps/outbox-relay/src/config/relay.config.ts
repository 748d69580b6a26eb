import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { EnvBool, EnvInt } from '@chat-ledger/platform';
import { OutboxRelayEnv } from '@chat-ledger/outbox';

/**
 * Environment of the standalone relay (apps/outbox-relay, `npm run start:relay`): the relay's own keys (KAFKA_*, OUTBOX_*,
 * see OutboxRelayEnv) plus where the outbox lives and where to serve /metrics.
 */
export class RelayConfig extends OutboxRelayEnv {
  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  /** Apply the outbox schema's migrations at start (under an advisory lock). */
  @EnvBool() @IsBoolean()
  DB_MIGRATE = true;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  /** When set, serves GET /metrics, /health and /health/ready on this port (0 = any free port). */
  @IsOptional() @EnvInt() @IsInt() @Min(0) @Max(65535)
  METRICS_PORT?: number;

  @IsString()
  METRICS_HOST = '0.0.0.0';
}
