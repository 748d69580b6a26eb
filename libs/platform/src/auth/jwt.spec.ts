import { createHmac } from 'node:crypto';
import { issueToken, signJwt, verifyJwt } from './jwt';

const secret = 's'.repeat(32);
const now = 1_800_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('verifyJwt', () => {
  it('accepts an HS256 token and reads sub and scopes', () => {
    const token = issueToken({ userId: 'alice', scopes: ['tokens:adjust', 'outbox:admin'], nowSeconds: now }, secret);
    const principal = verifyJwt(token, secret, now);
    expect(principal.userId).toBe('alice');
    expect([...principal.scopes]).toEqual(['tokens:adjust', 'outbox:admin']);
  });

  it.each([
    ['a bad signature', () => issueToken({ userId: 'a', nowSeconds: now }, 'x'.repeat(32)), 'bad token signature'],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a' })}.`, 'unsupported token algorithm'],
    ['alg HS512', () => `${b64({ alg: 'HS512' })}.${b64({ sub: 'a' })}.${createHmac('sha512', secret).update('x').digest('base64url')}`, 'unsupported token algorithm'],
    ['an expired token', () => issueToken({ userId: 'a', nowSeconds: now - 100_000, ttlSeconds: 60 }, secret), 'token expired'],
    ['a missing sub', () => signJwt({ scope: '' }, secret), 'token subject'],
    ['a sub over 64 chars', () => signJwt({ sub: 'u'.repeat(65) }, secret), 'token subject'],
    ['a non-string scope', () => signJwt({ sub: 'a', scope: ['x'] }, secret), 'scope'],
    ['two parts', () => 'abc.def', 'malformed'],
    ['garbage', () => 'a.b.c', 'malformed'],
  ])('rejects %s', (_name, make, message) => {
    expect(() => verifyJwt(make(), secret, now)).toThrow(message);
  });
});
