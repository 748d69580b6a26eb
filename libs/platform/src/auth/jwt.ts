import { errors, jwtVerify, SignJWT } from 'jose';

export interface Principal {
  /** The `sub` claim: the user (or service) the token speaks for. */
  userId: string;
  scopes: ReadonlySet<string>;
  /** The `org_id` claim: the organisation the token speaks for (absent: no organisation). */
  orgId?: string;
  /** The `project_id` claim: a project inside that organisation. */
  projectId?: string;
}

/** A token we refuse; the message is safe to show to the caller (it names the rule, never the token). */
export class JwtError extends Error {}

export const MAX_USER_ID_LENGTH = 64;
/** Printable ASCII without spaces: user ids end up in Kafka keys, URLs and logs. */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

/** `npm start` hands out 30-day demo tokens, so that is the longest lifetime accepted by default. */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 30 * 86_400;
export const DEFAULT_JWT_CLOCK_SKEW_SECONDS = 30;

export interface JwtVerifyOptions {
  /** Longest accepted lifetime in seconds: `exp - iat`, or `exp - now` for a token without `iat`. */
  maxLifetimeSeconds: number;
  /** Clock difference tolerated between the issuer and this process (exp, nbf, iat), in seconds. */
  clockSkewSeconds: number;
}

/** Only HS256 is accepted: the algorithm is fixed here, never taken from the token. */
const ALGORITHM = 'HS256';

function hmacKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** jose's errors carry its own wording; callers get ours, which the API has always answered with. */
function toJwtError(error: unknown): JwtError {
  if (error instanceof errors.JWTExpired) return new JwtError('token expired');
  if (error instanceof errors.JOSEAlgNotAllowed) return new JwtError('unsupported token algorithm');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtError('bad token signature');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return new JwtError('token must have a numeric expiry (exp)');
    if (error.claim === 'nbf') return new JwtError('token not yet valid');
    if (error.claim === 'iat') return new JwtError('token issue time (iat) must be a number');
    return new JwtError(`token claim ${error.claim} is invalid`);
  }
  // JWSInvalid, JWTInvalid and anything else jose refuses to parse.
  return new JwtError('malformed token');
}

/**
 * Verifies bearer tokens with jose: HS256 with the shared secret, `exp` required, the lifetime bounded,
 * then our own claim rules (`sub` is a user id, `scope` a space-separated string).
 */
export class JwtVerifier {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly options: JwtVerifyOptions = {
      maxLifetimeSeconds: DEFAULT_JWT_MAX_LIFETIME_SECONDS,
      clockSkewSeconds: DEFAULT_JWT_CLOCK_SKEW_SECONDS,
    },
  ) {
    this.key = hmacKey(secret);
  }

  async verify(token: string, now: Date = new Date()): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        clockTolerance: this.options.clockSkewSeconds,
        currentDate: now,
        // A token without expiry would be valid forever once leaked.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw toJwtError(error);
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const exp = claims.exp as number;
    const iat = claims.iat as number | undefined;
    // jose checks iat only together with maxTokenAge, which bounds the age, not the lifetime.
    if (iat !== undefined && iat > nowSeconds + this.options.clockSkewSeconds) throw new JwtError('token issued in the future');
    if (exp - (iat ?? nowSeconds) > this.options.maxLifetimeSeconds) {
      throw new JwtError(`token lifetime exceeds the maximum of ${this.options.maxLifetimeSeconds} s`);
    }
    if (typeof claims.sub !== 'string' || !USER_ID_PATTERN.test(claims.sub)) {
      throw new JwtError('token subject must be a user id of 1 to 64 printable characters');
    }
    const scope = claims.scope ?? '';
    if (typeof scope !== 'string') throw new JwtError('token scope must be a space-separated string');
    const principal: Principal = { userId: claims.sub, scopes: new Set(scope.split(' ').filter(Boolean)) };
    // Tenant claims follow the user id rule: they end up in rollup keys, URLs and logs.
    for (const [claim, field] of [
      ['org_id', 'orgId'],
      ['project_id', 'projectId'],
    ] as const) {
      const value = claims[claim];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) throw new JwtError(`token claim ${claim} must be 1 to 64 printable characters`);
      principal[field] = value;
    }
    return principal;
  }
}

/** The verifier of an app, from its JWT_* keys (durations in milliseconds, as the env schema holds them). */
export function jwtVerifierFromEnv(env: { JWT_SECRET: string; JWT_MAX_LIFETIME: number; JWT_CLOCK_SKEW: number }): JwtVerifier {
  return new JwtVerifier(env.JWT_SECRET, {
    maxLifetimeSeconds: Math.floor(env.JWT_MAX_LIFETIME / 1000),
    clockSkewSeconds: Math.floor(env.JWT_CLOCK_SKEW / 1000),
  });
}

/** Tokens for development, tests, the bench and `npm run token`: HS256, `sub`, `scope`, `iat`, `exp` and the optional tenant claims. */
export async function issueToken(
  opts: { userId: string; scopes?: string[]; ttlSeconds?: number; nowSeconds?: number; orgId?: string; projectId?: string },
  secret: string,
): Promise<string> {
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: (opts.scopes ?? []).join(' '),
    ...(opts.orgId !== undefined ? { org_id: opts.orgId } : {}),
    ...(opts.projectId !== undefined ? { project_id: opts.projectId } : {}),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(opts.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.ttlSeconds ?? 86_400))
    .sign(hmacKey(secret));
}
