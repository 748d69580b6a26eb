import { createRemoteJWKSet, errors, FlattenedJWSInput, JWK, JWTHeaderParameters, jwtVerify, JWTVerifyGetKey, KeyLike, SignJWT } from 'jose';
import type { JwtSettings } from './jwt.env';

export interface Principal {
  /** The user claim (`sub` by default, JWT_USER_CLAIM): the user (or service) the token speaks for. */
  userId: string;
  scopes: ReadonlySet<string>;
  /** The organisation claim (`org_id` by default, JWT_ORG_CLAIM), when the token has one. */
  orgId?: string;
  /** The project claim (`project_id` by default, JWT_PROJECT_CLAIM), when the token has one. */
  projectId?: string;
}

/** A token we refuse; the message is safe to show to the caller (it names the rule, never the token). */
export class JwtError extends Error {}

/**
 * The identity provider's key set could not be fetched (down, timing out, answering garbage): the token may well be
 * valid, so the caller gets a 503 to retry, not a 401 that would make it drop its token. `cause` says why.
 */
export class JwtKeysUnavailableError extends Error {}

export const MAX_USER_ID_LENGTH = 64;
/** Printable ASCII without spaces: user ids end up in Kafka keys, URLs and logs. Org and project ids too. */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

/** `npm start` hands out 30-day demo tokens, so that is the longest lifetime accepted by default. */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 30 * 86_400;
export const DEFAULT_JWT_CLOCK_SKEW_SECONDS = 30;

/** Which claims carry what (JWT_USER_CLAIM, JWT_SCOPES_CLAIM, JWT_ORG_CLAIM, JWT_PROJECT_CLAIM). */
export interface JwtClaimNames {
  user: string;
  scopes: string;
  org: string;
  project: string;
}

export const DEFAULT_JWT_CLAIMS: JwtClaimNames = { user: 'sub', scopes: 'scope', org: 'org_id', project: 'project_id' };

/** The algorithm of the shared secret (JWT_SECRET). */
export const HMAC_ALGORITHM = 'HS256';
/** The algorithms accepted for keys of a JWKS (JWT_JWKS_URL); never taken from the token. */
export const JWKS_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

export interface JwtVerifyOptions {
  /** HS256 shared secret. At least one of `secret` and `jwks`. */
  secret?: string;
  /**
   * The identity provider's key set: a URL (fetched, cached for `cacheMaxAgeMs`, refetched on an unknown `kid` at
   * most once per `cooldownMs`), or a jose key resolver.
   */
  jwks?: { url: string; cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number } | JWTVerifyGetKey;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required member of `aud`, when set. */
  audience?: string;
  claims?: Partial<JwtClaimNames>;
  /** Longest accepted lifetime in seconds: `exp - iat`, or `exp - now` for a token without `iat`. Default 30 days. */
  maxLifetimeSeconds?: number;
  /** Clock difference tolerated between the issuer and this process (exp, nbf, iat), in seconds. Default 30. */
  clockSkewSeconds?: number;
}

function hmacKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** jose's errors carry its own wording; callers get ours, which the API has always answered with. */
function toJwtError(error: unknown, options: { issuer?: string; audience?: string; algorithms: readonly string[] }): Error {
  if (error instanceof JwtKeysUnavailableError || error instanceof JwtError) return error;
  if (error instanceof errors.JWTExpired) return new JwtError('token expired');
  if (error instanceof errors.JOSEAlgNotAllowed) return new JwtError(`unsupported token algorithm (accepted: ${options.algorithms.join(', ')})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtError('bad token signature');
  if (error instanceof errors.JWKSNoMatchingKey) return new JwtError('no signing key of the identity provider matches the token (kid)');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return new JwtError('several signing keys match the token: it must name its key (kid)');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return new JwtError('token must have a numeric expiry (exp)');
    if (error.claim === 'nbf') return new JwtError('token not yet valid');
    if (error.claim === 'iat') return new JwtError('token issue time (iat) must be a number');
    if (error.claim === 'iss') return new JwtError(`token issuer (iss) must be ${options.issuer}`);
    if (error.claim === 'aud') return new JwtError(`token audience (aud) must include ${options.audience}`);
    return new JwtError(`token claim ${error.claim} is invalid`);
  }
  // JWSInvalid, JWTInvalid, a key the token's algorithm cannot use, and anything else jose refuses to parse.
  return new JwtError('malformed token');
}

/** An id claim (user, org, project): printable ASCII, at most 64 characters. */
function idClaim(claims: Record<string, unknown>, name: string, what: string, required: boolean): string | undefined {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
    throw new JwtError(`token ${what} (${name}) must be an id of 1 to ${MAX_USER_ID_LENGTH} printable characters`);
  }
  return value;
}

/** Scopes as identity providers write them: one space-separated string (OAuth 2.0) or an array of strings. */
function scopesClaim(claims: Record<string, unknown>, name: string): Set<string> {
  const value = claims[name] ?? '';
  if (typeof value === 'string') return new Set(value.split(' ').filter(Boolean));
  if (Array.isArray(value) && value.every((scope) => typeof scope === 'string' && !/\s/.test(scope))) return new Set(value.filter(Boolean));
  throw new JwtError(`token scopes (${name}) must be a space-separated string or an array of strings without spaces`);
}

/**
 * Verifies bearer tokens with jose: HS256 with the shared secret and/or RS256, ES256, EdDSA with the keys of a JWKS
 * (the algorithm set is fixed by what is configured, never taken from the token), `exp` required, the lifetime
 * bounded, `iss` and `aud` when configured, then our own claim rules (the user claim is a user id; scopes a string
 * or an array; org and project ids optional).
 */
export class JwtVerifier {
  private readonly hmac?: Uint8Array;
  private readonly remote?: JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly claims: JwtClaimNames;
  private readonly maxLifetimeSeconds: number;
  private readonly clockSkewSeconds: number;

  constructor(private readonly options: JwtVerifyOptions) {
    if (!options.secret && !options.jwks) throw new Error('JwtVerifier needs a secret (HS256) or a JWKS');
    this.hmac = options.secret ? hmacKey(options.secret) : undefined;
    const jwks = options.jwks;
    this.remote =
      typeof jwks === 'function'
        ? jwks
        : jwks
          ? createRemoteJWKSet(new URL(jwks.url), {
              cooldownDuration: jwks.cooldownMs ?? 60_000,
              cacheMaxAge: jwks.cacheMaxAgeMs ?? 600_000,
              timeoutDuration: jwks.timeoutMs ?? 5_000,
            })
          : undefined;
    this.algorithms = [...(this.hmac ? [HMAC_ALGORITHM] : []), ...(this.remote ? JWKS_ALGORITHMS : [])];
    this.claims = { ...DEFAULT_JWT_CLAIMS, ...options.claims };
    this.maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_JWT_MAX_LIFETIME_SECONDS;
    this.clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_JWT_CLOCK_SKEW_SECONDS;
  }

  /** jose asks only for algorithms in `this.algorithms`: HS256 takes the secret, the others a key of the set. */
  private readonly key = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike | Uint8Array | JWK> => {
    if (header.alg === HMAC_ALGORITHM) return this.hmac!;
    try {
      return await this.remote!(header, token);
    } catch (error) {
      // The set was fetched but has no (single) key for the token: the token's problem.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new JwtKeysUnavailableError('token signing keys are unavailable; retry later', { cause: error });
    }
  };

  async verify(token: string, now: Date = new Date()): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.key, {
        algorithms: this.algorithms,
        clockTolerance: this.clockSkewSeconds,
        currentDate: now,
        // A token without expiry would be valid forever once leaked.
        requiredClaims: ['exp'],
        ...(this.options.issuer !== undefined ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience !== undefined ? { audience: this.options.audience } : {}),
      }));
    } catch (error) {
      throw toJwtError(error, { issuer: this.options.issuer, audience: this.options.audience, algorithms: this.algorithms });
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const exp = claims.exp as number;
    const iat = claims.iat as number | undefined;
    // jose checks iat only together with maxTokenAge, which bounds the age, not the lifetime.
    if (iat !== undefined && iat > nowSeconds + this.clockSkewSeconds) throw new JwtError('token issued in the future');
    if (exp - (iat ?? nowSeconds) > this.maxLifetimeSeconds) {
      throw new JwtError(`token lifetime exceeds the maximum of ${this.maxLifetimeSeconds} s`);
    }
    return principalFromClaims(claims, this.claims);
  }
}

/** The principal of verified claims, by the configured claim names. */
export function principalFromClaims(claims: Record<string, unknown>, names: JwtClaimNames = DEFAULT_JWT_CLAIMS): Principal {
  const userId = idClaim(claims, names.user, 'subject', true)!;
  const scopes = scopesClaim(claims, names.scopes);
  const orgId = idClaim(claims, names.org, 'organisation', false);
  const projectId = idClaim(claims, names.project, 'project', false);
  return { userId, scopes, ...(orgId !== undefined ? { orgId } : {}), ...(projectId !== undefined ? { projectId } : {}) };
}

/** The verifier of an app, from its JWT_* keys (durations in milliseconds, as the env schema holds them). */
export function jwtVerifierFromEnv(env: JwtSettings): JwtVerifier {
  return new JwtVerifier({
    secret: env.JWT_SECRET,
    ...(env.JWT_JWKS_URL
      ? { jwks: { url: env.JWT_JWKS_URL, cooldownMs: env.JWT_JWKS_COOLDOWN, cacheMaxAgeMs: env.JWT_JWKS_CACHE_MAX_AGE, timeoutMs: env.JWT_JWKS_TIMEOUT } }
      : {}),
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    claims: { user: env.JWT_USER_CLAIM, scopes: env.JWT_SCOPES_CLAIM, org: env.JWT_ORG_CLAIM, project: env.JWT_PROJECT_CLAIM },
    maxLifetimeSeconds: Math.floor(env.JWT_MAX_LIFETIME / 1000),
    clockSkewSeconds: Math.floor(env.JWT_CLOCK_SKEW / 1000),
  });
}

/**
 * Tokens for development, tests, the bench and `npm run token`: HS256 with `sub`, `scope`, `iat`, `exp`, and
 * `org_id` / `project_id` when given (the default claim names).
 */
export async function issueToken(
  opts: { userId: string; scopes?: string[]; ttlSeconds?: number; nowSeconds?: number; orgId?: string; projectId?: string },
  secret: string,
): Promise<string> {
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: (opts.scopes ?? []).join(' '),
    ...(opts.orgId !== undefined ? { [DEFAULT_JWT_CLAIMS.org]: opts.orgId } : {}),
    ...(opts.projectId !== undefined ? { [DEFAULT_JWT_CLAIMS.project]: opts.projectId } : {}),
  })
    .setProtectedHeader({ alg: HMAC_ALGORITHM, typ: 'JWT' })
    .setSubject(opts.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.ttlSeconds ?? 86_400))
    .sign(hmacKey(secret));
}
