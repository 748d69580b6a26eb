import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../../database/src/embedded-postgres-server';
import { findFreePort } from './free-port';

declare global {
  // eslint-disable-next-line no-var
  var __CHAT_LEDGER_PG__: EmbeddedPostgresServer | undefined;
}

/**
 * One real PostgreSQL for the whole run (embedded unless DATABASE_URL is given). Its URL reaches
 * the test workers through the environment, which they inherit.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'chat-ledger-test-'));
  chmodSync(root, 0o755); // as root, PostgreSQL runs as the `postgres` OS user and must reach its data dir
  const dataDir = join(root, 'pg');
  const server = await EmbeddedPostgresServer.start({
    dataDir,
    port: await findFreePort(),
    persistent: false,
    // Tests create a database per file and open many pools at once; durability is not what they test.
    postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  globalThis.__CHAT_LEDGER_PG__ = server;
  process.env.TEST_PG_SERVER_URL = server.url;
}
