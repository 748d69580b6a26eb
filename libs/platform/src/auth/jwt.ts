import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Principal {
  /** The `sub` claim: the user (or service) the token speaks for. */
  userId: string;
  scopes: ReadonlySet<string>;
}

export class JwtError extends Error {}

export const MAX_USER_ID_LENGTH = 64;
/** Printable ASCII without spaces: user ids end up in Kafka keys, URLs and logs. */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function issueToken(
  opts: { userId: string; scopes?: string[]; ttlSeconds?: number; nowSeconds?: number },
  secret: string,
): string {
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  return signJwt(
    { sub: opts.userId, scope: (opts.scopes ?? []).join(' '), iat: now, exp: now + (opts.ttlSeconds ?? 86_400) },
    secret,
  );
}

function decodePart(part: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new JwtError('malformed token');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed token');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new JwtError('malformed token');
  return value as Record<string, unknown>;
}

/**
 * HS256 only. The algorithm is fixed by the server, never taken from the token, so `alg: none` and
 * algorithm-confusion tokens are rejected before the signature is even looked at.
 */
export function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): Principal {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  if (header.alg !== 'HS256') throw new JwtError('unsupported token algorithm');

  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = /^[A-Za-z0-9_-]+$/.test(signaturePart) ? Buffer.from(signaturePart, 'base64url') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JwtError('bad token signature');

  const claims = decodePart(payloadPart);
  const leeway = 30;
  if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp + leeway < nowSeconds)) {
    throw new JwtError('token expired');
  }
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - leeway > nowSeconds)) {
    throw new JwtError('token not yet valid');
  }
  if (typeof claims.sub !== 'string' || !USER_ID_PATTERN.test(claims.sub)) {
    throw new JwtError('token subject must be a user id of 1 to 64 printable characters');
  }
  const scope = claims.scope ?? '';
  if (typeof scope !== 'string') throw new JwtError('token scope must be a space-separated string');
  return { userId: claims.sub, scopes: new Set(scope.split(' ').filter(Boolean)) };
}
