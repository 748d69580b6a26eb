import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer, withDatabase } from '@chat-ledger/database';
import { KafkaBroker, KafkaRuntimeError } from '@chat-ledger/kafka-broker';
import { ConfigValidationError, issueToken, loadConfig, Scopes } from '@chat-ledger/platform';
import { ChildApp } from './child-app';
import { devJwtSecret } from './dev-secret';
import { StackConfig } from './stack.config';
import { clearStackState, stopStaleApps, writeStackState } from './stack-state';

const DIST = resolve(__dirname, '..', '..');
/** How long the console link `npm start` prints signs the operator in. */
const CONSOLE_LINK_TTL_SECONDS = 3600;
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
    mkdirSync(dataDir, { recursive: true });
    await stopStaleApps(dataDir, DIST, say);
    // PostgreSQL and Kafka start side by side (the JVM takes a few seconds); a failure of either stops both.
    const startPostgres = async (): Promise<string> => {
      if (config.DATABASE_URL) {
        say('using DATABASE_URL');
        return config.DATABASE_URL;
      }
      const pg = await EmbeddedPostgresServer.start({
        dataDir: join(dataDir, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        log: (line) => (/FATAL|PANIC|stale/.test(line) ? say(`postgres: ${line}`) : undefined),
      });
      stops.push(() => pg.stop());
      await ensureDatabase(pg.url, 'chat_ledger');
      say(`embedded PostgreSQL 18 on 127.0.0.1:${config.EMBEDDED_PG_PORT} (data in ${join(dataDir, 'postgres')})`);
      return withDatabase(pg.url, 'chat_ledger');
    };
    const startKafka = async (): Promise<string> => {
      if (config.KAFKA_BROKERS) {
        say(`using KAFKA_BROKERS=${config.KAFKA_BROKERS}`);
        return config.KAFKA_BROKERS;
      }
      const kafkaDir = join(dataDir, 'kafka');
      say(`starting the embedded Apache Kafka (data in ${kafkaDir})…`);
      const kafka = await KafkaBroker.start({
        dataDir: kafkaDir,
        port: config.EMBEDDED_KAFKA_PORT,
        heapMb: config.EMBEDDED_KAFKA_HEAP_MB,
        kafkaHome: config.KAFKA_HOME,
        javaHome: config.JAVA_HOME,
        topics: [
          { name: config.KAFKA_TOPIC, partitions: config.KAFKA_TOPIC_PARTITIONS },
          { name: config.KAFKA_DLQ_TOPIC, partitions: 1 },
        ],
        log: say,
      });
      // Stopped last: pushed before the apps, and stops run in reverse.
      stops.push(() => kafka.stop());
      say(`KAFKA_BROKERS=${kafka.bootstrapServers} (topics ${config.KAFKA_TOPIC} with ${config.KAFKA_TOPIC_PARTITIONS} partitions, ${config.KAFKA_DLQ_TOPIC})`);
      return kafka.bootstrapServers;
    };
    const infrastructure = await Promise.allSettled([startPostgres(), startKafka()]);
    const failure = infrastructure.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const [databaseUrl, kafkaBrokers] = infrastructure.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string];

    const jwtSecret = devJwtSecret(dataDir, config.JWT_SECRET);
    const kafkaEnv = {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC: config.KAFKA_TOPIC,
      KAFKA_TOPIC_PARTITIONS: String(config.KAFKA_TOPIC_PARTITIONS),
    };
    const echo = (line: string) => process.stdout.write(`${line}\n`);
    const pricesFile =
      config.LEDGER_PRICES_FILE === 'none' ? undefined : resolve(config.LEDGER_PRICES_FILE ?? join(DIST, '..', 'apps/ledger-consumer/prices.example.json'));
    // The console (served by the gateway) calls the ledger from the page: the gateway tells it where the ledger is,
    // and the ledger lets the gateway's origin in (both spellings of this machine, which are different origins).
    const consoleEnv = {
      gateway: { LEDGER_PUBLIC_URL: process.env.LEDGER_PUBLIC_URL ?? `http://localhost:${config.LEDGER_PORT}` },
      ledger: { CONSOLE_ORIGIN: process.env.CONSOLE_ORIGIN ?? `http://localhost:${config.PORT},http://127.0.0.1:${config.PORT}` },
    };
    const gateway = new ChildApp({
      name: 'chat-gateway',
      script: join(DIST, 'apps/chat-gateway/src/main.js'),
      env: { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, PORT: String(config.PORT), ...kafkaEnv, ...consoleEnv.gateway },
      readyWhen: (line) => line.includes('chat-gateway listening'),
      onLine: echo,
    });
    const ledger = new ChildApp({
      name: 'ledger-consumer',
      script: join(DIST, 'apps/ledger-consumer/src/main.js'),
      env: {
        DATABASE_URL: databaseUrl,
        JWT_SECRET: jwtSecret,
        PORT: String(config.LEDGER_PORT),
        ...kafkaEnv,
        ...consoleEnv.ledger,
        ...(config.KAFKA_BROKERS ? {} : { KAFKA_DLQ_TOPIC: config.KAFKA_DLQ_TOPIC }),
        ...(pricesFile ? { LEDGER_PRICES_FILE: pricesFile } : {}),
      },
      readyWhen: (line) => line.includes('ledger-consumer listening'),
      onLine: echo,
    });
    stops.push(
      () => gateway.stop(),
      () => ledger.stop(),
    );
    // Both apps migrate their own schema at boot; starting them together halves the start time.
    const starting = Promise.all([gateway.start(), ledger.start()]);
    const base0 = `http://localhost:${config.PORT}`;
    writeStackState(dataDir, {
      pid: process.pid,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers,
      gateway_url: base0,
      child_pids: [gateway.pid, ledger.pid].filter((p): p is number => p !== undefined),
    });
    stops.push(async () => clearStackState(dataDir));
    await starting;

    const base = `http://localhost:${config.PORT}`;
    const ledgerBase = `http://localhost:${config.LEDGER_PORT}`;
    const userToken = await issueToken({ userId: config.DEMO_USER, ttlSeconds: 30 * 86_400 }, jwtSecret);
    const serviceToken = await issueToken(
      {
        userId: 'internal-service',
        scopes: [
          Scopes.tokensAdjust,
          Scopes.outboxAdmin,
          Scopes.usageReadAll,
          Scopes.pricesAdmin,
          Scopes.budgetsAdmin,
          Scopes.tasksWrite,
          Scopes.tasksRead,
          Scopes.tasksAdmin,
          Scopes.usageWrite,
        ],
        ttlSeconds: 30 * 86_400,
      },
      jwtSecret,
    );
    // The console's sign-in link: an operator token that lives one hour, in the URL's fragment, which the browser
    // never sends to a server (so no access log or proxy sees it); the page moves it into sessionStorage at once.
    const consoleToken = await issueToken(
      {
        userId: 'operator',
        scopes: [Scopes.usageReadAll, Scopes.outboxAdmin, Scopes.budgetsAdmin, Scopes.tasksRead, Scopes.tasksAdmin],
        ttlSeconds: CONSOLE_LINK_TTL_SECONDS,
      },
      jwtSecret,
    );
    writeStackState(dataDir, {
      pid: process.pid,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers,
      gateway_url: base,
      ledger_url: ledgerBase,
      child_pids: [gateway.pid, ledger.pid].filter((p): p is number => p !== undefined),
    });
    say('ready');
    say(`chat-gateway     ${base}/v1   (docs ${base}/docs, health ${base}/health/ready, metrics ${base}/metrics)`);
    say(`ledger-consumer  ${ledgerBase}/v1   (docs ${ledgerBase}/docs, health ${ledgerBase}/health/ready, metrics ${ledgerBase}/metrics)`);
    say(`demo user "${config.DEMO_USER}" token (30 days):`);
    process.stdout.write(`\n  export TOKEN=${userToken}\n\n`);
    say('service/operator token (tokens:adjust outbox:admin usage:read_all prices:admin budgets:admin tasks:write tasks:read tasks:admin usage:write):');
    process.stdout.write(`\n  export ADMIN_TOKEN=${serviceToken}\n\n`);
    say(
      `operators' console: open this link within ${CONSOLE_LINK_TTL_SECONDS / 60} minutes (signs in "operator": usage:read_all outbox:admin budgets:admin tasks:read tasks:admin):`,
    );
    process.stdout.write(`\n  ${base}/console/#token=${consoleToken}\n\n`);
    say(
      `  later: ${base}/console/ and paste a token (npm run token -- --user operator --scope "usage:read_all outbox:admin budgets:admin tasks:read tasks:admin" --ttl 3600)`,
    );
    say(
      `try: curl -s -X POST ${base}/v1/chat/messages -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"role":"assistant","content":"hi","model":"gpt-4o","usage":{"prompt_tokens":12,"completion_tokens":30}}'`,
    );
    say(`     curl -s ${ledgerBase}/v1/users/${config.DEMO_USER}/usage -H "Authorization: Bearer $TOKEN"`);
    say('Ctrl-C stops everything');
  } catch (error) {
    if (error instanceof ConfigValidationError) say(error.message);
    else if (error instanceof KafkaRuntimeError) say(`cannot start the embedded Apache Kafka: ${error.message}`);
    else say(`start failed: ${(error as Error)?.message ?? error}`);
    await shutdown(1);
  }
}

/**
 * A Ctrl-C in the terminal goes to its whole foreground process group. The stack therefore runs in a
 * process group of its own (this file again, with --in-own-group), and the process the terminal started
 * only passes the signal on: the stack then stops the apps first and PostgreSQL and Kafka after them,
 * instead of every server reacting to the same Ctrl-C at once.
 */
const IN_OWN_GROUP = '--in-own-group';
if (process.argv.includes(IN_OWN_GROUP)) {
  void main();
} else {
  const stack = spawn(process.execPath, [...process.execArgv, __filename, IN_OWN_GROUP], { stdio: 'inherit', detached: true });
  const forward = (signal: NodeJS.Signals) => () => {
    if (stack.exitCode === null && stack.signalCode === null) stack.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGHUP', forward('SIGTERM'));
  stack.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
