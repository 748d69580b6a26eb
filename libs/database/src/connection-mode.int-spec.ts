import { createTestDatabase, PGBOUNCER_BINARY, startPgBouncer } from '@chat-ledger/testing';
import { detectConnectionMode } from './connection-mode';

describe('detectConnectionMode', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('session_probe');
  });

  it('finds a session on a direct PostgreSQL connection, every time', async () => {
    await expect(detectConnectionMode(url)).resolves.toEqual({ mode: 'session' });
    // Twice: the second probe must not be disturbed by anything the first left behind.
    await expect(detectConnectionMode(url)).resolves.toEqual({ mode: 'session' });
  });

  it('fails, rather than guessing, when the server cannot be reached', async () => {
    await expect(detectConnectionMode('postgres://nobody@127.0.0.1:1/none', { connectionTimeoutMillis: 1_000 })).rejects.toThrow();
  });

  // PgBouncer comes from Debian's package (.ci/run installs it); without it there is no pooler to tell apart.
  (PGBOUNCER_BINARY ? describe : describe.skip)('behind PgBouncer', () => {
    it.each([
      ['session', { mode: 'session' }],
      ['transaction', { mode: 'transaction-pooled', reason: expect.stringMatching(/^a second connection was given the first one's server backend/) }],
      ['statement', { mode: 'transaction-pooled', reason: expect.any(String) }],
    ] as const)('pool_mode=%s', async (poolMode, expected) => {
      const bouncer = await startPgBouncer(url, poolMode);
      try {
        await expect(detectConnectionMode(bouncer.url)).resolves.toEqual(expected);
      } finally {
        await bouncer.stop();
      }
    });
  });
});
