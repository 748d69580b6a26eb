import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EmbeddedPostgresServer, buildDataSourceOptions, runMigrations, withDatabase } from '@chat-ledger/database';
import { KafkaBroker } from '@chat-ledger/kafka-broker';
import { findFreePort } from '@chat-ledger/testing';
import { CHAT_MIGRATIONS, CHAT_SCHEMA } from '../../apps/chat-gateway/src/index';
import { OUTBOX_MIGRATIONS, OUTBOX_SCHEMA } from '@chat-ledger/outbox';
import { LEDGER_MIGRATIONS, LEDGER_SCHEMA } from '../../apps/ledger-consumer/src/index';
import { whileRunning } from './interrupt';

/** What a scenario needs from the stack (fresh databases and topics on the bench's servers). */
export interface BenchDeps {
  brokers: string;
  freshDatabase: (prefix: string) => Promise<string>;
  dropDatabase: (url: string) => Promise<void>;
  newTopic: (prefix: string, partitions: number) => Promise<string>;
}

/**
 * The real servers every scenario runs against, started once per bench run: an embedded PostgreSQL 18
 * (wal_level=logical so the peer's logical-replication relay can run on the same server as ours) and the
 * embedded Apache Kafka broker (a real KRaft node, the same as `npm start` runs). Scenarios take fresh databases and fresh topics, never a shared one,
 * so one measurement cannot inherit another's bloat or backlog.
 */
export class BenchStack {
  /** Unregisters the servers from what an interrupted run stops (bench/harness/interrupt.ts). */
  private forget?: () => void;

  private constructor(
    readonly root: string,
    readonly pg: EmbeddedPostgresServer,
    readonly kafka: KafkaBroker,
  ) {}

  get serverUrl(): string {
    return this.pg.url;
  }

  get brokers(): string {
    return this.kafka.bootstrapServers;
  }

  static async start(): Promise<BenchStack> {
    const root = mkdtempSync(join(tmpdir(), 'chat-ledger-bench-'));
    chmodSync(root, 0o755);
    const pg = await EmbeddedPostgresServer.start({
      dataDir: join(root, 'pg'),
      port: await findFreePort(),
      persistent: false,
      postgresFlags: ['-c', 'wal_level=logical', '-c', 'max_wal_senders=4', '-c', 'max_replication_slots=4', '-c', 'max_connections=200'],
    });
    try {
      // The heap production brokers start with (the official scripts' default), not the small dev one.
      // KafkaBroker.start waits for the group coordinator too, so the first scenario's consumer joins at once.
      const kafka = await KafkaBroker.start({ dataDir: join(root, 'kafka'), port: 0, persistent: false, heapMb: 1024 });
      const stack = new BenchStack(root, pg, kafka);
      stack.forget = whileRunning(() => stack.stop());
      return stack;
    } catch (error) {
      await pg.stop();
      throw error;
    }
  }

  /** A new empty database; with `migrate`, the chat and ledger schemas exactly as the apps create them. */
  async freshDatabase(prefix: string, migrate = true): Promise<string> {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: this.pg.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(this.pg.url, name);
    if (migrate) {
      for (const [schema, migrations] of [
        [CHAT_SCHEMA, CHAT_MIGRATIONS],
        [OUTBOX_SCHEMA, OUTBOX_MIGRATIONS],
        [LEDGER_SCHEMA, LEDGER_MIGRATIONS],
      ] as const) {
        const ds = new DataSource(buildDataSourceOptions({ url, schema, migrations: [...migrations], applicationName: 'bench-migrate' }));
        await ds.initialize();
        try {
          await runMigrations(ds, schema);
        } finally {
          await ds.destroy();
        }
      }
    }
    return url;
  }

  /** Drops a database a scenario is done with (its connections must be closed). */
  async dropDatabase(url: string): Promise<void> {
    const name = new URL(url).pathname.slice(1);
    const admin = new Client({ connectionString: this.pg.url });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }

  /** A new, empty topic, so no measurement reads another's records; returned once every partition takes writes. */
  async newTopic(prefix: string, partitions: number): Promise<string> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await this.kafka.createTopics([{ name, partitions }]);
    return name;
  }

  async stop(): Promise<void> {
    this.forget?.();
    await this.kafka.stop().catch(() => undefined);
    await this.pg.stop().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}
