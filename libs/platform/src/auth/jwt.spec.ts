import { createHmac } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import { issueToken, JwtVerifier, principalFromClaims } from './jwt';

const secret = 's'.repeat(32);
const now = 1_800_000_000;
const at = (seconds: number) => new Date(seconds * 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** Any claims, HS256-signed with the right secret: for the rules that come after the signature. */
const sign = (claims: Record<string, unknown>, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(key));
const verifier = new JwtVerifier({ secret, maxLifetimeSeconds: 30 * 86_400, clockSkewSeconds: 30 });

describe('JwtVerifier', () => {
  it('accepts an HS256 token and reads sub and scopes', async () => {
    const token = await issueToken({ userId: 'alice', scopes: ['tokens:adjust', 'outbox:admin'], nowSeconds: now }, secret);
    const principal = await verifier.verify(token, at(now));
    expect(principal.userId).toBe('alice');
    expect([...principal.scopes]).toEqual(['tokens:adjust', 'outbox:admin']);
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
    ['a numeric scope', () => sign({ sub: 'a', scope: 7, exp: now + 60 }), 'token scopes (scope)'],
    ['a scope array with a non-string', () => sign({ sub: 'a', scope: ['x', 1], exp: now + 60 }), 'token scopes (scope)'],
    ['a non-string org id', () => sign({ sub: 'a', org_id: 42, exp: now + 60 }), 'token organisation (org_id)'],
    ['a project id over 64 chars', () => sign({ sub: 'a', project_id: 'p'.repeat(65), exp: now + 60 }), 'token project (project_id)'],
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
    const strict = new JwtVerifier({ secret, maxLifetimeSeconds: 3_600, clockSkewSeconds: 0 });
    await expect(strict.verify(await issueToken({ userId: 'a', nowSeconds: now, ttlSeconds: 3_601 }, secret), at(now))).rejects.toThrow('maximum of 3600 s');
    await expect(strict.verify(await sign({ sub: 'a', exp: now - 1 }), at(now))).rejects.toThrow('token expired');
    await expect(strict.verify(await issueToken({ userId: 'a', nowSeconds: now, ttlSeconds: 3_600 }, secret), at(now))).resolves.toMatchObject({ userId: 'a' });
  });
});

describe('claim mapping', () => {
  it('reads scopes from a space-separated string or an array of strings; a missing scope claim grants none', () => {
    expect([...principalFromClaims({ sub: 'a', scope: ' tokens:adjust  outbox:admin ' }).scopes]).toEqual(['tokens:adjust', 'outbox:admin']);
    expect([...principalFromClaims({ sub: 'a', scope: ['tokens:adjust', 'outbox:admin'] }).scopes]).toEqual(['tokens:adjust', 'outbox:admin']);
    expect(principalFromClaims({ sub: 'a' }).scopes.size).toBe(0);
    expect(principalFromClaims({ sub: 'a', scope: [] }).scopes.size).toBe(0);
    // An array entry with a space would be two scopes in the string form: refused rather than guessed.
    expect(() => principalFromClaims({ sub: 'a', scope: ['tokens:adjust outbox:admin'] })).toThrow('array of strings without spaces');
  });

  it('takes the user, scopes, org and project from the configured claims', () => {
    const names = { user: 'uid', scopes: 'scp', org: 'https://example.com/org', project: 'proj' };
    const claims = { sub: 'ignored', uid: 'svc-1', scp: ['usage:read_all'], scope: 'outbox:admin', 'https://example.com/org': 'acme', proj: 'p-7' };
    const principal = principalFromClaims(claims, names);
    expect(principal).toEqual({ userId: 'svc-1', scopes: new Set(['usage:read_all']), orgId: 'acme', projectId: 'p-7' });
    expect(() => principalFromClaims({ sub: 'a' }, names)).toThrow('token subject (uid) must be an id');
  });

  it('org and project are optional: absent claims leave the fields out', () => {
    const principal = principalFromClaims({ sub: 'a', scope: '' });
    expect(principal).toEqual({ userId: 'a', scopes: new Set() });
    expect(principal).not.toHaveProperty('orgId');
    expect(principalFromClaims({ sub: 'a', org_id: 'acme' })).toEqual({ userId: 'a', scopes: new Set(), orgId: 'acme' });
    expect(() => principalFromClaims({ sub: 'a', org_id: 'has space' })).toThrow('token organisation (org_id)');
    expect(() => principalFromClaims({ sub: 'a', project_id: '' })).toThrow('token project (project_id)');
  });

  it('issueToken writes org_id and project_id when given, and the verifier reads them back', async () => {
    const token = await issueToken({ userId: 'a', scopes: ['x'], orgId: 'acme', projectId: 'p1', nowSeconds: now }, secret);
    await expect(verifier.verify(token, at(now))).resolves.toEqual({ userId: 'a', scopes: new Set(['x']), orgId: 'acme', projectId: 'p1' });
  });
});

describe('JwtVerifier with a key set (JWKS)', () => {
  const keys: Record<'rs' | 'es' | 'ed', { privateKey: KeyLike; jwk: JWK }> = {} as never;
  let jwksOnly: JwtVerifier;
  let both: JwtVerifier;
  const signWith = (which: 'rs' | 'es' | 'ed', claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'idp-user', scope: ['usage:read_all'], ...claims })
      .setProtectedHeader({ alg: keys[which].jwk.alg!, kid: keys[which].jwk.kid! })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(keys[which].privateKey);

  beforeAll(async () => {
    for (const [which, alg] of [
      ['rs', 'RS256'],
      ['es', 'ES256'],
      ['ed', 'EdDSA'],
    ] as const) {
      const pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
      keys[which] = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), alg, kid: `${which}-1`, use: 'sig' } };
    }
    const set = createLocalJWKSet({ keys: Object.values(keys).map((k) => k.jwk) });
    const common = { jwks: set, issuer: 'https://idp.example.com/', audience: 'chat-ledger' };
    jwksOnly = new JwtVerifier(common);
    both = new JwtVerifier({ ...common, secret });
  });

  it.each(['rs', 'es', 'ed'] as const)('accepts a %s-signed token of the set with the right issuer and audience', async (which) => {
    const token = await signWith(which, { iss: 'https://idp.example.com/', aud: ['other', 'chat-ledger'] });
    await expect(jwksOnly.verify(token, at(now))).resolves.toEqual({ userId: 'idp-user', scopes: new Set(['usage:read_all']) });
  });

  it('refuses HS256 when only a key set is configured, and says which algorithms it accepts', async () => {
    const token = await sign({ sub: 'a', iss: 'https://idp.example.com/', aud: 'chat-ledger', exp: now + 60 });
    await expect(jwksOnly.verify(token, at(now))).rejects.toThrow('unsupported token algorithm (accepted: RS256, ES256, EdDSA)');
    await expect(both.verify(token, at(now))).resolves.toMatchObject({ userId: 'a' });
  });

  it('refuses a wrong or missing issuer and audience, naming the expected one', async () => {
    const ok = { iss: 'https://idp.example.com/', aud: 'chat-ledger' };
    await expect(jwksOnly.verify(await signWith('rs', { ...ok, iss: 'https://evil.example.com/' }), at(now))).rejects.toThrow(
      'token issuer (iss) must be https://idp.example.com/',
    );
    await expect(jwksOnly.verify(await signWith('es', { aud: 'chat-ledger' }), at(now))).rejects.toThrow('token issuer (iss)');
    await expect(jwksOnly.verify(await signWith('es', { ...ok, aud: 'another-api' }), at(now))).rejects.toThrow(
      'token audience (aud) must include chat-ledger',
    );
    await expect(jwksOnly.verify(await signWith('ed', { iss: ok.iss }), at(now))).rejects.toThrow('token audience (aud)');
  });

  it('refuses a token whose kid is not in the set, or whose signature does not match the named key', async () => {
    const stranger = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ sub: 'a', iss: 'https://idp.example.com/', aud: 'chat-ledger' })
      .setProtectedHeader({ alg: 'ES256', kid: 'unknown-kid' })
      .setExpirationTime(now + 60)
      .sign(stranger.privateKey);
    await expect(jwksOnly.verify(foreign, at(now))).rejects.toThrow('no signing key of the identity provider matches the token (kid)');
    const forged = await new SignJWT({ sub: 'a', iss: 'https://idp.example.com/', aud: 'chat-ledger' })
      .setProtectedHeader({ alg: 'ES256', kid: 'es-1' })
      .setExpirationTime(now + 60)
      .sign(stranger.privateKey);
    await expect(jwksOnly.verify(forged, at(now))).rejects.toThrow('bad token signature');
  });

  it('keeps the expiry and lifetime rules for key-set tokens', async () => {
    const ok = { iss: 'https://idp.example.com/', aud: 'chat-ledger' };
    const noExp = await new SignJWT({ sub: 'a', ...ok }).setProtectedHeader({ alg: 'RS256', kid: 'rs-1' }).sign(keys.rs.privateKey);
    await expect(jwksOnly.verify(noExp, at(now))).rejects.toThrow('expiry (exp)');
    const tooLong = await new SignJWT({ sub: 'a', ...ok })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs-1' })
      .setIssuedAt(now)
      .setExpirationTime(now + 31 * 86_400)
      .sign(keys.rs.privateKey);
    await expect(jwksOnly.verify(tooLong, at(now))).rejects.toThrow('token lifetime exceeds the maximum');
  });
});
