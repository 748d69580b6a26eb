import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { issueToken, JwtVerifier } from './jwt';

const secret = 's'.repeat(32);
const now = 1_800_000_000;
const at = (seconds: number) => new Date(seconds * 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** Any claims, HS256-signed with the right secret: for the rules that come after the signature. */
const sign = (claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(key));
const verifier = new JwtVerifier(secret, { maxLifetimeSeconds: 30 * 86_400, clockSkewSeconds: 30 });

describe('JwtVerifier', () => {
  it('accepts an HS256 token and reads sub and scopes', async () => {
    const token = await issueToken({ userId: 'alice', scopes: ['tokens:adjust', 'outbox:admin'], nowSeconds: now }, secret);
    const principal = await verifier.verify(token, at(now));
    expect(principal.userId).toBe('alice');
    expect([...principal.scopes]).toEqual(['tokens:adjust', 'outbox:admin']);
  });

  it('reads the tenant claims org_id and project_id, checked like user ids', async () => {
    const token = await issueToken({ userId: 'alice', orgId: 'org-A', projectId: 'p_1', nowSeconds: now }, secret);
    await expect(verifier.verify(token, at(now))).resolves.toMatchObject({ userId: 'alice', orgId: 'org-A', projectId: 'p_1' });
    const plain = await verifier.verify(await issueToken({ userId: 'alice', nowSeconds: now }, secret), at(now));
    expect(plain.orgId).toBeUndefined();
    expect(plain.projectId).toBeUndefined();
    await expect(verifier.verify(await sign({ sub: 'a', exp: now + 60, org_id: 'org A' }), at(now))).rejects.toThrow('token claim org_id');
    await expect(verifier.verify(await sign({ sub: 'a', exp: now + 60, org_id: 42 }), at(now))).rejects.toThrow('token claim org_id');
    await expect(verifier.verify(await sign({ sub: 'a', exp: now + 60, project_id: 'p'.repeat(65) }), at(now))).rejects.toThrow('token claim project_id');
  });

  it.each([
    ['a bad signature', () => issueToken({ userId: 'a', nowSeconds: now }, 'x'.repeat(32)), 'bad token signature'],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a', exp: now + 60 })}.`, 'unsupported token algorithm'],
    [
      'alg HS512',
      async () => `${b64({ alg: 'HS512' })}.${b64({ sub: 'a', exp: now + 60 })}.${createHmac('sha512', secret).update('x').digest('base64url')}`,
      'unsupported token algorithm',
    ],
    ['an expired token', () => issueToken({ userId: 'a', nowSeconds: now - 100_000, ttlSeconds: 60 }, secret), 'token expired'],
    ['a missing sub', () => sign({ scope: '', exp: now + 60 }), 'token subject'],
    ['a sub over 64 chars', () => sign({ sub: 'u'.repeat(65), exp: now + 60 }), 'token subject'],
    ['a non-string scope', () => sign({ sub: 'a', scope: ['x'], exp: now + 60 }), 'scope'],
    ['two parts', async () => 'abc.def', 'malformed'],
    ['garbage', async () => 'a.b.c', 'malformed'],
    // Without exp a leaked token would be valid forever.
    ['a token without exp', () => sign({ sub: 'a', iat: now }), 'expiry (exp)'],
    ['a non-numeric exp', () => sign({ sub: 'a', exp: 'tomorrow' }), 'expiry (exp)'],
    ['a lifetime (exp - iat) above the maximum', () => sign({ sub: 'a', iat: now, exp: now + 30 * 86_400 + 1 }), 'token lifetime exceeds the maximum'],
    ['without iat, an exp further away than the maximum', () => sign({ sub: 'a', exp: now + 30 * 86_400 + 1 }), 'token lifetime exceeds the maximum'],
    // A future iat would otherwise shrink the computed lifetime of a far-away exp.
    ['an iat in the future beyond the skew', () => sign({ sub: 'a', iat: now + 31 * 86_400, exp: now + 32 * 86_400 }), 'issued in the future'],
    ['an nbf in the future beyond the skew', () => sign({ sub: 'a', nbf: now + 31, exp: now + 60 }), 'not yet valid'],
    ['a token expired longer ago than the skew', () => sign({ sub: 'a', exp: now - 31 }), 'token expired'],
  ])('rejects %s', async (_name, make, message) => {
    await expect(verifier.verify(await make(), at(now))).rejects.toThrow(message);
  });

  it('accepts the longest allowed lifetime (the 30-day demo tokens of npm start) and clocks within the skew', async () => {
    await expect(verifier.verify(await issueToken({ userId: 'a', nowSeconds: now, ttlSeconds: 30 * 86_400 }, secret), at(now))).resolves.toMatchObject({
      userId: 'a',
    });
    await expect(verifier.verify(await sign({ sub: 'a', exp: now - 29 }), at(now))).resolves.toMatchObject({ userId: 'a' });
    await expect(verifier.verify(await sign({ sub: 'a', iat: now + 29, nbf: now + 29, exp: now + 60 }), at(now))).resolves.toMatchObject({ userId: 'a' });
  });

  it('takes the maximum lifetime and the clock skew from its options', async () => {
    const strict = new JwtVerifier(secret, { maxLifetimeSeconds: 3_600, clockSkewSeconds: 0 });
    await expect(strict.verify(await issueToken({ userId: 'a', nowSeconds: now, ttlSeconds: 3_601 }, secret), at(now))).rejects.toThrow('maximum of 3600 s');
    await expect(strict.verify(await sign({ sub: 'a', exp: now - 1 }), at(now))).rejects.toThrow('token expired');
    await expect(strict.verify(await issueToken({ userId: 'a', nowSeconds: now, ttlSeconds: 3_600 }, secret), at(now))).resolves.toMatchObject({ userId: 'a' });
  });
});
