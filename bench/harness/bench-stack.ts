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
      postgresFlags: [
        ...['-c', 'wal_level=logical', '-c', 'max_wal_senders=4', '-c', 'max_replication_slots=4', '-c', 'max_connections=200'],
        // Sized like a server meant for this load rather than PostgreSQL's conservative defaults (128 MB, 1 GB):
        // a 1M-row drain writes ~2.8 GB of WAL, which under the default forced seven checkpoints (each followed by
        // full-page images of every page touched again) and read a ~2 GB outbox through 128 MB of buffers, and the
        // WAL earlier scenarios left behind forced checkpoints into later ones. Checkpoints still come every
        // checkpoint_timeout (5 min).
        ...['-c', 'shared_buffers=1GB', '-c', 'max_wal_size=8GB'],
      ],
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

  /** The database migrated once that migrated fresh databases are copies of (created by the first such call). */
  private template?: Promise<string>;

  /**
   * A new empty database; with `migrate`, the chat, outbox and ledger schemas exactly as the apps create them: a
   * copy (`CREATE DATABASE … TEMPLATE`) of one database the real migrations ran on at the first call, since running
   * them for each of a run's fresh databases took 0.2–0.3 s a database, and the copy takes ~25 ms.
   */
  async freshDatabase(prefix: string, migrate = true): Promise<string> {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const template = migrate ? await (this.template ??= this.migratedTemplate()) : undefined;
    await this.createDatabase(name, template);
    return withDatabase(this.pg.url, name);
  }

  private async migratedTemplate(): Promise<string> {
    const name = `bench_template_${randomBytes(4).toString('hex')}`;
    await this.createDatabase(name);
    const url = withDatabase(this.pg.url, name);
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
        await ds.destroy(); // a template is copied only while nobody is connected to it
      }
    }
    return name;
  }

  private async createDatabase(name: string, template?: string): Promise<void> {
    const admin = new Client({ connectionString: this.pg.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}${template ? ` TEMPLATE ${admin.escapeIdentifier(template)}` : ''}`);
    } finally {
      await admin.end();
    }
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
