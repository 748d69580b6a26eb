import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer, withDatabase } from '@chat-ledger/database';
import { ConfigValidationError, issueToken, loadConfig, Scopes } from '@chat-ledger/platform';
import { ChildApp } from './child-app';
import { devJwtSecret } from './dev-secret';
import { StackConfig } from './stack.config';
import { clearStackState, writeStackState } from './stack-state';

const DIST = resolve(__dirname, '..', '..');
const say = (line: string) => process.stdout.write(`[chat-ledger] ${line}\n`);

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * `npm start`: the whole pipeline on one machine. Infrastructure that is not configured is started
 * embedded (real servers on 127.0.0.1); each app runs as its own process with its own environment.
 */
async function main(): Promise<void> {
  const config = loadConfig(StackConfig, process.env);
  const dataDir = resolve(config.DATA_DIR);
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const stop of stops.reverse()) await stop().catch((e) => say(`stop failed: ${e?.message ?? e}`));
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await EmbeddedPostgresServer.start({
        dataDir: join(dataDir, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        log: (line) => (/FATAL|PANIC|ERROR/.test(line) ? say(`postgres: ${line}`) : undefined),
      });
      stops.push(() => pg.stop());
      await ensureDatabase(pg.url, 'chat_ledger');
      databaseUrl = withDatabase(pg.url, 'chat_ledger');
      say(`embedded PostgreSQL on 127.0.0.1:${config.EMBEDDED_PG_PORT} (data in ${join(dataDir, 'postgres')})`);
    } else {
      say('using DATABASE_URL');
    }

    const jwtSecret = devJwtSecret(dataDir, config.JWT_SECRET);
    const gateway = new ChildApp({
      name: 'chat-gateway',
      script: join(DIST, 'apps/chat-gateway/src/main.js'),
      env: { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, PORT: String(config.PORT) },
      readyWhen: (line) => line.includes('chat-gateway listening'),
      onLine: (line) => process.stdout.write(`${line}\n`),
    });
    stops.push(() => gateway.stop());
    await gateway.start();

    const base = `http://localhost:${config.PORT}`;
    const userToken = issueToken({ userId: config.DEMO_USER, ttlSeconds: 30 * 86_400 }, jwtSecret);
    const serviceToken = issueToken(
      { userId: 'internal-service', scopes: [Scopes.tokensAdjust, Scopes.outboxAdmin, Scopes.usageReadAll], ttlSeconds: 30 * 86_400 },
      jwtSecret,
    );
    writeStackState(dataDir, { pid: process.pid, DATABASE_URL: databaseUrl, gateway_url: base });
    stops.push(async () => clearStackState(dataDir));
    say('ready');
    say(`chat-gateway   ${base}/v1   (docs ${base}/docs, health ${base}/health/ready)`);
    say(`demo user "${config.DEMO_USER}" token (30 days):`);
    process.stdout.write(`\n  export TOKEN=${userToken}\n\n`);
    say('service/operator token (tokens:adjust outbox:admin usage:read_all):');
    process.stdout.write(`\n  export ADMIN_TOKEN=${serviceToken}\n\n`);
    say(`try: curl -s -X POST ${base}/v1/conversations -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"title":"hello"}'`);
    say('Ctrl-C stops everything');
  } catch (error) {
    if (error instanceof ConfigValidationError) say(error.message);
    else say(`start failed: ${(error as Error)?.stack ?? error}`);
    await shutdown(1);
  }
}

void main();
