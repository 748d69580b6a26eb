import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy, ValidateIf, ValidationArguments } from 'class-validator';
import { BaseEnv } from '../config/base-env';
import { EnvSecret } from '../config/env-secret';
import { EnvDurationMs } from '../config/env-transforms';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass = new (...args: any[]) => object;

/** The keys a verifier is built from (`jwtVerifierFromEnv`): an app's config has them through WithJwtEnv. */
export interface JwtSettings {
  JWT_SECRET?: string;
  JWT_JWKS_URL?: string;
  JWT_JWKS_COOLDOWN: number;
  JWT_JWKS_CACHE_MAX_AGE: number;
  JWT_JWKS_TIMEOUT: number;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  JWT_USER_CLAIM: string;
  JWT_SCOPES_CLAIM: string;
  JWT_ORG_CLAIM: string;
  JWT_PROJECT_CLAIM: string;
  JWT_MAX_LIFETIME: number;
  JWT_CLOCK_SKEW: number;
}

/**
 * JWT_SECRET is required unless JWT_JWKS_URL is set; when given it must be long enough. One problem per case, so
 * an empty deployment says what it lacks instead of two messages about a missing string.
 */
const JwtSecretRule = () =>
  ValidateBy({
    name: 'jwtSecret',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.length >= 32,
      defaultMessage: (args?: ValidationArguments) =>
        args?.value === undefined
          ? 'JWT_SECRET (HS256, at least 32 characters) or JWT_JWKS_URL (RS256, ES256, EdDSA keys of an identity provider) must be set'
          : 'JWT_SECRET must be at least 32 characters',
    },
  });

/** A claim name: any JSON member name an identity provider uses (`sub`, `scp`, `https://example.com/org`). */
const CLAIM_NAME = /^[\x21-\x7e]{1,200}$/;

/**
 * The JWT keys every HTTP app validates the same way. A mixin, so an app's schema composes it with the other
 * shared pieces (libs/kafka's Kafka keys, libs/outbox's relay keys) on top of BaseEnv.
 *
 * Two kinds of keys, either or both: a shared secret (HS256, what `npm start` and the tests use) and the JWKS of
 * an identity provider (RS256, ES256, EdDSA; keys fetched, cached and rotated by `kid`).
 */
export function WithJwtEnv<TBase extends EnvClass>(Base: TBase) {
  class JwtEnvKeys extends Base implements JwtSettings {
    @EnvSecret()
    @ValidateIf((config: JwtSettings) => config.JWT_SECRET !== undefined || config.JWT_JWKS_URL === undefined)
    @JwtSecretRule()
    JWT_SECRET?: string;

    /** The identity provider's JSON Web Key Set (e.g. https://idp.example.com/.well-known/jwks.json). */
    @IsOptional()
    @Matches(/^https?:\/\/[^\s/?#@]+(\/\S*)?$/, { message: 'JWT_JWKS_URL must be an http(s) URL' })
    JWT_JWKS_URL?: string;

    /** A token naming an unknown `kid` refetches the key set, at most once per this duration. */
    @EnvDurationMs()
    @IsInt({ message: 'JWT_JWKS_COOLDOWN must be a duration such as 60s' })
    @Min(1_000)
    @Max(3_600_000)
    JWT_JWKS_COOLDOWN = 60_000;

    /** The key set is refetched when it is older than this, whatever the tokens say. */
    @EnvDurationMs()
    @IsInt({ message: 'JWT_JWKS_CACHE_MAX_AGE must be a duration such as 10m' })
    @Min(1_000)
    @Max(7 * 86_400_000)
    JWT_JWKS_CACHE_MAX_AGE = 600_000;

    /** How long one fetch of the key set may take. */
    @EnvDurationMs()
    @IsInt({ message: 'JWT_JWKS_TIMEOUT must be a duration such as 5s' })
    @Min(100)
    @Max(60_000)
    JWT_JWKS_TIMEOUT = 5_000;

    /** When set, tokens must carry exactly this `iss`. */
    @IsOptional()
    @IsString()
    @MaxLength(500)
    JWT_ISSUER?: string;

    /** When set, the token's `aud` (a string or a list) must contain this. */
    @IsOptional()
    @IsString()
    @MaxLength(500)
    JWT_AUDIENCE?: string;

    /** The claim that names the user (or service) a token speaks for. */
    @Matches(CLAIM_NAME, { message: 'JWT_USER_CLAIM must be a claim name (1 to 200 printable characters)' })
    JWT_USER_CLAIM = 'sub';

    /** The claim with the granted scopes: a space-separated string or an array of strings. */
    @Matches(CLAIM_NAME, { message: 'JWT_SCOPES_CLAIM must be a claim name (1 to 200 printable characters)' })
    JWT_SCOPES_CLAIM = 'scope';

    /** The claim with the caller's organisation (optional in tokens). */
    @Matches(CLAIM_NAME, { message: 'JWT_ORG_CLAIM must be a claim name (1 to 200 printable characters)' })
    JWT_ORG_CLAIM = 'org_id';

    /** The claim with the caller's project (optional in tokens). */
    @Matches(CLAIM_NAME, { message: 'JWT_PROJECT_CLAIM must be a claim name (1 to 200 printable characters)' })
    JWT_PROJECT_CLAIM = 'project_id';

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
