import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { issueToken, lineSink, loadConfig, PinoLogger } from '@chat-ledger/platform';
import { connect, createTestDatabase, HttpClient } from '@chat-ledger/testing';
import type { GatewayAppOptions } from '../src/app.module';
import { createGatewayApp } from '../src/bootstrap';
import { GatewayConfig } from '../src/config/gateway.config';

export interface GatewayTestApp {
  app: INestApplication;
  http: HttpClient;
  db: Client;
  databaseUrl: string;
  /** A valid token for this app (HS256 with its secret, one day). */
  token(userId: string, scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

/** The real gateway on a free port against its own fresh database. */
export async function startGateway(
  options: {
    env?: Record<string, string>;
    override?: (builder: { app: INestApplication }) => void;
    databaseUrl?: string;
    logLines?: string[];
    /**
     * Shared with other apps of a test (e.g. ledger-consumer) so one token works for all. `null`: no JWT_SECRET at
     * all (a test of JWT_JWKS_URL, given in `env`); `token()` then throws.
     */
    jwtSecret?: string | null;
    /** Listen here instead of a free port the OS picks (a test that must name the gateway's origin beforehand). */
    port?: number;
    /** What `createGatewayApp` lets a host replace (its OutboxWriter). */
    appOptions?: GatewayAppOptions;
  } = {},
): Promise<GatewayTestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase('gateway'));
  const secret = options.jwtSecret === null ? undefined : (options.jwtSecret ?? randomBytes(32).toString('hex'));
  // The outbox relay needs a Kafka broker: tests that want it pass RELAY_ENABLED=true and KAFKA_BROKERS.
  const config = loadConfig(GatewayConfig, {
    DATABASE_URL: databaseUrl,
    ...(secret ? { JWT_SECRET: secret } : {}),
    PORT: '0',
    LOG_LEVEL: 'warn',
    RELAY_ENABLED: 'false',
    ...options.env,
  });
  const logger = new PinoLogger({ service: 'chat-gateway', level: config.LOG_LEVEL, destination: lineSink((line) => options.logLines?.push(line)) });
  const app = await createGatewayApp(config, logger, options.appOptions);
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const db = await connect(databaseUrl);
  return {
    app,
    db,
    databaseUrl,
    http: new HttpClient(`http://127.0.0.1:${port}`),
    token: (userId, scopes = []) => {
      if (!secret) throw new Error('this app has no JWT_SECRET (jwtSecret: null): sign tokens with the JWKS keys of the test');
      return issueToken({ userId, scopes }, secret);
    },
    close: async () => {
      await db.end();
      await app.close();
    },
  };
}
