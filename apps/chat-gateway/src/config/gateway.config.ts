import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { EnvBool, EnvDurationMs, EnvInt } from '@chat-ledger/platform';

/** Environment of chat-gateway. Every key is validated at boot; all problems are reported at once. */
export class GatewayConfig {
  @EnvInt() @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @EnvInt() @IsInt() @Min(1) @Max(200)
  DB_POOL_SIZE = 20;

  @EnvBool() @IsBoolean()
  DB_MIGRATE = true;

  @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET!: string;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';

  @EnvInt() @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  @EnvInt() @IsInt() @Min(1) @Max(16 * 1024 * 1024)
  MESSAGE_MAX_BYTES = 256 * 1024;

  @EnvDurationMs() @IsInt({ message: 'IDEMPOTENCY_TTL must be a duration such as 24h' }) @Min(60_000)
  IDEMPOTENCY_TTL = 24 * 3_600_000;

  @IsOptional() @IsString()
  EVENT_SOURCE = 'chat-gateway';
}
