import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../../database/src/embedded-postgres-server';
import { KafkaBroker } from '../../kafka-broker/src/kafka-broker';
import { findFreePort } from '../../kafka-broker/src/free-port'; // globalSetup runs without the path aliases

declare global {
  var __CHAT_LEDGER_PG__: EmbeddedPostgresServer | undefined;
  var __CHAT_LEDGER_KAFKA__: KafkaBroker | undefined;
}

/**
 * One real PostgreSQL and one real Apache Kafka broker for the whole run, started side by side (embedded
 * unless DATABASE_URL / KAFKA_BROKERS are given). Their addresses reach the test workers through the
 * environment, which they inherit. Test files make their own databases and topics.
 */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'chat-ledger-test-'));
  chmodSync(root, 0o755); // as root, PostgreSQL runs as the `postgres` OS user and must reach its data dir
  const log = (line: string) => process.stdout.write(`[test setup] ${line}\n`);

  const postgres = (async () => {
    if (process.env.DATABASE_URL) {
      process.env.TEST_PG_SERVER_URL = process.env.DATABASE_URL;
      return;
    }
    const server = await EmbeddedPostgresServer.start({
      dataDir: join(root, 'pg'),
      port: await findFreePort(),
      persistent: false,
      // Tests create a database per file and open many pools at once; durability is not what they test.
      postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    });
    globalThis.__CHAT_LEDGER_PG__ = server;
    process.env.TEST_PG_SERVER_URL = server.url;
  })();

  const kafka = (async () => {
    if (process.env.KAFKA_BROKERS) {
      process.env.TEST_KAFKA_BROKERS = process.env.KAFKA_BROKERS;
      return;
    }
    const broker = await KafkaBroker.start({
      dataDir: join(root, 'kafka'),
      port: 0,
      persistent: false,
      kafkaHome: process.env.KAFKA_HOME,
      log: (line) => (line.startsWith('kafka: ') ? undefined : log(line)),
    });
    globalThis.__CHAT_LEDGER_KAFKA__ = broker;
    process.env.TEST_KAFKA_BROKERS = broker.bootstrapServers;
  })();

  const results = await Promise.allSettled([postgres, kafka]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await globalThis.__CHAT_LEDGER_KAFKA__?.stop().catch(() => undefined);
    await globalThis.__CHAT_LEDGER_PG__?.stop().catch(() => undefined);
    throw failed[0]!.reason;
  }
}
