import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { BaseEnv } from '../config/base-env';
import { EnvDurationMs } from '../config/env-transforms';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/**
 * The JWT keys every HTTP app validates the same way. A mixin, so an app's schema composes it with the other
 * shared pieces (libs/kafka's Kafka keys, libs/outbox's relay keys) on top of BaseEnv.
 */
export function WithJwtEnv<TBase extends EnvClass>(Base: TBase) {
  class JwtEnvKeys extends Base {
    @IsString()
    @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
    JWT_SECRET!: string;

    /** Tokens that live longer than this (exp - iat) are refused; `npm start` issues 30-day demo tokens. */
    @EnvDurationMs()
    @IsInt({ message: 'JWT_MAX_LIFETIME must be a duration such as 30d' })
    @Min(60_000)
    @Max(366 * 86_400_000)
    JWT_MAX_LIFETIME = 30 * 86_400_000;

    /** Clock difference tolerated between token issuers and this process; keep it small. */
    @EnvDurationMs()
    @IsInt({ message: 'JWT_CLOCK_SKEW must be a duration such as 30s' })
    @Min(0)
    @Max(300_000)
    JWT_CLOCK_SKEW = 30_000;
  }
  return JwtEnvKeys;
}

/** The JWT keys alone, for schemas that extend nothing else. */
export class JwtEnv extends WithJwtEnv(BaseEnv) {}
