import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import { issueToken } from '@chat-ledger/platform';
import { aUserId, eventually, HttpClient } from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { LedgerTestApp, startLedger } from '../apps/ledger-consumer/test/ledger-test-app';

const ISSUER = 'https://idp.test.example/';
const AUDIENCE = 'chat-ledger';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  jwk: JWK;
}

async function aSigningKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The identity provider's side: a JWKS endpoint whose keys the test rotates, counting the fetches it answers. */
class JwksEndpoint {
  keys: SigningKey[] = [];
  /** While set, the endpoint answers 500 (an identity provider outage). */
  failing = false;
  fetches = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      this.fetches++;
      if (this.failing) return void res.writeHead(500).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A token as an identity provider issues it: signed with `key`, naming its kid, scopes as an array. */
function idpToken(key: SigningKey, userId: string, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: ['usage:read_all'], iss: ISSUER, aud: AUDIENCE, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key.privateKey);
}

/**
 * The apps against a real identity provider's key set over HTTP (JWT_JWKS_URL, no JWT_SECRET): RS256 and ES256
 * keys accepted, keys rotated by kid, HS256 refused, issuer and audience enforced, an outage answered 503.
 */
describe('identity: tokens of an identity provider (JWKS)', () => {
  const jwks = new JwksEndpoint();
  const user = aUserId('idp');
  let rs1: SigningKey;
  let es1: SigningKey;
  let gw: GatewayTestApp;
  let ledger: LedgerTestApp;
  const apps = () => [
    { name: 'gateway', http: gw.http, path: '/v1/conversations' },
    { name: 'ledger', http: ledger.http, path: `/v1/users/${user}/usage` },
  ];
  const status = (http: HttpClient, path: string, token: string | Promise<string>) => http.as(token).get(path);

  beforeAll(async () => {
    [rs1, es1] = await Promise.all([aSigningKey('rs-1', 'RS256'), aSigningKey('es-1', 'ES256')]);
    jwks.keys = [rs1, es1];
    const url = await jwks.start();
    // A short cooldown so the test sees a rotation within seconds; the default is a minute.
    const env = { JWT_JWKS_URL: url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_COOLDOWN: '2s' };
    [gw, ledger] = await Promise.all([startGateway({ jwtSecret: null, env }), startLedger({ jwtSecret: null, env })]);
  });
  afterAll(async () => {
    await gw?.close();
    await ledger?.close();
    await jwks.stop();
  });

  it('accepts RS256 and ES256 tokens of the key set in both apps', async () => {
    for (const { http, path } of apps()) {
      for (const key of [rs1, es1]) {
        const res = await status(http, path, idpToken(key, user));
        expect({ key: key.kid, status: res.status }).toEqual({ key: key.kid, status: 200 });
      }
    }
  });

  it('refuses HS256 when only a key set is configured, whatever secret signed it', async () => {
    for (const { http, path } of apps()) {
      const res = await status(http, path, issueToken({ userId: user }, 'a-secret-of-at-least-thirty-two-characters'));
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'unsupported token algorithm (accepted: RS256, ES256, EdDSA)' });
    }
  });

  it('refuses another issuer or audience with 401 and a message naming the expected one', async () => {
    for (const { http, path } of apps()) {
      const wrongIssuer = await status(http, path, idpToken(rs1, user, { iss: 'https://other-idp.example/' }));
      expect(wrongIssuer.status).toBe(401);
      expect(wrongIssuer.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: `token issuer (iss) must be ${ISSUER}` });
      expect(wrongIssuer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      const wrongAudience = await status(http, path, idpToken(es1, user, { aud: 'another-api' }));
      expect(wrongAudience.status).toBe(401);
      expect(wrongAudience.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: `token audience (aud) must include ${AUDIENCE}` });
    }
  });

  it('follows a key rotation: the new kid is fetched and accepted, the dropped one refused; unknown kids refetch at most once per cooldown', async () => {
    const rs2 = await aSigningKey('rs-2', 'RS256');
    const oldToken = await idpToken(rs1, user);
    jwks.keys = [rs2, es1];
    for (const { name, http, path } of apps()) {
      // Until the cooldown since the last fetch is over, an unknown kid is refused without a fetch; then it is fetched.
      await eventually(async () => expect({ name, status: (await status(http, path, idpToken(rs2, user))).status }).toEqual({ name, status: 200 }), {
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      const old = await status(http, path, oldToken);
      expect(old.status).toBe(401);
      expect(old.body.error.message).toBe('no signing key of the identity provider matches the token (kid)');
    }

    // Tokens naming a kid nobody serves, one after the other, cost at most one fetch per app while the cooldown runs
    // (sequential on purpose: concurrent requests would share one fetch even without a cooldown).
    const ghost = await idpToken(await aSigningKey('ghost', 'ES256'), user);
    const before = jwks.fetches;
    for (const { http, path } of apps()) {
      for (let i = 0; i < 5; i++) expect((await status(http, path, ghost)).status).toBe(401);
    }
    expect(jwks.fetches - before).toBeLessThanOrEqual(2);
  });

  it('while the key set cannot be fetched, known keys keep working from the cache and unknown kids answer 503', async () => {
    jwks.failing = true;
    try {
      const unknownKid = await idpToken(await aSigningKey('rs-3', 'RS256'), user);
      for (const { http, path } of apps()) {
        await eventually(
          async () => {
            const res = await status(http, path, unknownKid);
            expect(res.status).toBe(503);
            expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'token signing keys are unavailable; retry later' });
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        expect((await status(http, path, idpToken(es1, user))).status).toBe(200);
      }
    } finally {
      jwks.failing = false;
    }
  });
});
