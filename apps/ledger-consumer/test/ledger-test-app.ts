import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { issueToken, lineSink, loadConfig, PinoLogger } from '@chat-ledger/platform';
import { connect, createTestDatabase, HttpClient } from '@chat-ledger/testing';
import { createLedgerApp } from '../src/bootstrap';
import { LedgerConfig } from '../src/config/ledger.config';
import { ApplyBatchUseCase } from '../src/ingest/apply-batch.use-case';

export interface LedgerTestApp {
  app: INestApplication;
  http: HttpClient;
  db: Client;
  databaseUrl: string;
  config: LedgerConfig;
  /** The apply use case of this app (writes exactly what the consumer would). */
  apply: ApplyBatchUseCase;
  /** Errors passed to the fatal handler (in production: exit 1). */
  fatal: Error[];
  /** A valid token for this app (HS256 with its secret, one day). */
  token(userId: string, scopes?: string[]): Promise<string>;
  metric(name: string, labels?: Record<string, string | number>): Promise<number>;
  close(): Promise<void>;
}

/** Consumer settings for tests: the broker's smallest session timeout, quick heartbeats and retries. */
export const TEST_KAFKA_ENV = {
  KAFKA_SESSION_TIMEOUT_MS: '6000',
  KAFKA_HEARTBEAT_INTERVAL_MS: '500',
  KAFKA_MAX_WAIT_MS: '100',
  BATCH_RETRY_INITIAL: '50ms',
  BATCH_RETRY_MAX: '200ms',
};

/**
 * The real ledger-consumer on a free port against its own fresh database. Without `brokers` the Kafka
 * consumer is off (read API only); with them it joins `env.KAFKA_GROUP_ID` on `env.KAFKA_TOPIC`.
 */
export async function startLedger(
  options: {
    brokers?: string;
    env?: Record<string, string>;
    databaseUrl?: string;
    logLines?: string[];
    /** `null`: no JWT_SECRET at all (a test of JWT_JWKS_URL, given in `env`); `token()` then throws. */
    jwtSecret?: string | null;
  } = {},
): Promise<LedgerTestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase('ledger'));
  const secret = options.jwtSecret === null ? undefined : (options.jwtSecret ?? randomBytes(32).toString('hex'));
  const config = loadConfig(LedgerConfig, {
    DATABASE_URL: databaseUrl,
    ...(secret ? { JWT_SECRET: secret } : {}),
    PORT: '0',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: options.brokers ?? '127.0.0.1:1',
    KAFKA_CONSUMER_ENABLED: options.brokers ? 'true' : 'false',
    ...TEST_KAFKA_ENV,
    ...options.env,
  });
  const logger = new PinoLogger({ service: 'ledger-consumer', level: config.LOG_LEVEL, destination: lineSink((line) => options.logLines?.push(line)) });
  const fatal: Error[] = [];
  const app = await createLedgerApp(config, logger, { onFatal: (error) => fatal.push(error) });
  let db: Client | undefined;
  try {
    await app.listen(0, '127.0.0.1');
    db = await connect(databaseUrl);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as { port: number };
  const http = new HttpClient(`http://127.0.0.1:${port}`);
  return {
    app,
    db,
    databaseUrl,
    config,
    http,
    apply: app.get(ApplyBatchUseCase),
    fatal,
    token: (userId, scopes = []) => {
      if (!secret) throw new Error('this app has no JWT_SECRET (jwtSecret: null): sign tokens with the JWKS keys of the test');
      return issueToken({ userId, scopes }, secret);
    },
    metric: async (name, labels = {}) => {
      const text: string = (await http.get('/metrics')).body;
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      const line = text.split('\n').find((l) => {
        if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) return false;
        const labelText = /\{(.*)\}/.exec(l)?.[1] ?? '';
        const present = labelText ? labelText.split(',') : [];
        return wanted.every((w) => present.includes(w)) && present.length === wanted.length;
      });
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    },
    close: async () => {
      await db?.end();
      await app.close();
    },
  };
}
