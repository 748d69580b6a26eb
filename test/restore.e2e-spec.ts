import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, withDatabase } from '@chat-ledger/database';
import { issueToken } from '@chat-ledger/platform';
import {
  anAssistantMessage,
  aUserId,
  createTestDatabase,
  createTestTopic,
  eventually,
  groupCaughtUp,
  testKafkaBrokers,
  testServerUrl,
} from '@chat-ledger/testing';
import { GatewayTestApp, startGateway } from '../apps/chat-gateway/test/gateway-test-app';
import { ReconcileService } from '../apps/ledger-consumer/src/index';
import { LedgerTestApp, startLedger, TEST_KAFKA_ENV } from '../apps/ledger-consumer/test/ledger-test-app';
import { runCliProcess } from './cli-process';

const TOTALS_SQL = `SELECT user_id, tokens_total::int, events_count::int, cost_micros::int FROM ledger.user_totals ORDER BY user_id`;

/**
 * Backups and restore (docs/data-lifecycle.md): PostgreSQL restored to an earlier point while Kafka keeps the
 * consumer group's offsets. The restored ledger lacks what it applied after the backup, and the group would never
 * read it again; `ledger:reset-offsets --to <time before the backup>` re-applies exactly what is missing and skips
 * what the restored journal has (by event id), and `--to-earliest` changes nothing more. The backup is a copy of
 * the database (CREATE DATABASE … TEMPLATE) taken with every app stopped, the restore is running on that copy.
 */
describe('restore PostgreSQL to an earlier point while Kafka keeps its offsets', () => {
  const secret = randomBytes(32).toString('hex');
  const token = (userId: string) => issueToken({ userId }, secret);
  const group = `restore-${randomBytes(4).toString('hex')}`;
  const users = [aUserId('ra'), aUserId('rb'), aUserId('rc')];
  let topic: string;
  let databaseUrl: string;
  let restoredUrl: string;
  let gw: GatewayTestApp | undefined;
  let ledger: LedgerTestApp | undefined;
  const startLedgerOn = (url: string) =>
    startLedger({
      brokers: testKafkaBrokers(),
      databaseUrl: url,
      jwtSecret: secret,
      env: { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', KAFKA_GROUP_ID: group, ...TEST_KAFKA_ENV },
    });
  const startGatewayOn = (url: string) =>
    startGateway({
      databaseUrl: url,
      jwtSecret: secret,
      env: { RELAY_ENABLED: 'true', KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '4', OUTBOX_POLL_INTERVAL: '200ms' },
    });
  const cli = (...argv: string[]) => runCliProcess(argv, { KAFKA_BROKERS: testKafkaBrokers(), DATABASE_URL: databaseUrl });
  const query = async (url: string, sql: string) => {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      return (await db.query(sql)).rows;
    } finally {
      await db.end();
    }
  };
  const drift = async (url: string) => {
    const dataSource = await new DataSource(buildDataSourceOptions({ url, schema: 'ledger', applicationName: 'restore-test', poolSize: 1 })).initialize();
    try {
      return (await new ReconcileService(dataSource).check()).drifted;
    } finally {
      await dataSource.destroy();
    }
  };
  /** One round per user (a question and a priced answer); resolves once the ledger counted every event written so far. */
  async function rounds(n: number): Promise<void> {
    for (let r = 0; r < n; r++) {
      for (const user of users) {
        const api = gw!.http.as(token(user));
        const first = await api.post('/v1/chat/messages', { role: 'user', content: `round ${r}` });
        expect(first.status).toBe(201);
        const answer = anAssistantMessage({ prompt_tokens: 100 + r, completion_tokens: 10 + r });
        await expect(api.post(`/v1/conversations/${first.body.conversation_id}/messages`, answer)).resolves.toMatchObject({ status: 201 });
      }
    }
    await eventually(
      async () => {
        const [{ outbox, journal }] = await query(
          databaseUrl,
          `SELECT (SELECT count(*) FROM outbox.events)::int AS outbox, (SELECT count(*) FROM ledger.entries)::int AS journal`,
        );
        expect(journal).toBe(outbox);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }
  const caughtUp = () => groupCaughtUp(group, topic);

  beforeAll(async () => {
    topic = await createTestTopic('restore', 4);
    databaseUrl = await createTestDatabase('restore');
    gw = await startGatewayOn(databaseUrl);
    ledger = await startLedgerOn(databaseUrl);
  }, 90_000);
  afterAll(async () => {
    await ledger?.close();
    await gw?.close();
  });

  it('resetting the group to before the backup re-applies what the restored journal lacks and skips the rest by event id', async () => {
    await rounds(2);
    // The restore point an operator picks: a little before the backup (every record since is re-read; what the
    // backup has is skipped as a duplicate).
    const resetTo = new Date(Date.now() - 1);
    await rounds(1);
    await ledger!.close();
    await gw!.close();
    ledger = gw = undefined;
    const backup = `restored_${randomBytes(6).toString('hex')}`;
    await query(testServerUrl(), `CREATE DATABASE ${backup} TEMPLATE ${new URL(databaseUrl).pathname.slice(1)}`);
    restoredUrl = withDatabase(testServerUrl(), backup);
    const atBackup = await query(restoredUrl, TOTALS_SQL);

    // Life goes on after the backup: more rounds reach the ledger and the group commits their offsets.
    gw = await startGatewayOn(databaseUrl);
    ledger = await startLedgerOn(databaseUrl);
    await rounds(2);
    await caughtUp();
    const latest = await query(databaseUrl, TOTALS_SQL);
    expect(latest).not.toEqual(atBackup);
    await ledger.close();
    await gw.close();
    ledger = gw = undefined;

    // Restored: the journal lacks the last two rounds and the group's offsets are past them.
    ledger = await startLedgerOn(restoredUrl);
    await caughtUp();
    await expect(query(restoredUrl, TOTALS_SQL)).resolves.toEqual(atBackup);
    await ledger.close();
    ledger = undefined;

    const reset = await cli('ledger:reset-offsets', '--to', resetTo.toISOString(), '--group', group, '--topic', topic);
    expect(reset).toMatchObject({ code: 0 });
    ledger = await startLedgerOn(restoredUrl);
    await caughtUp();
    await expect(query(restoredUrl, TOTALS_SQL)).resolves.toEqual(latest);
    // The round written after resetTo and before the backup was read again and skipped by event id.
    await expect(ledger.metric('ledger_duplicates_skipped_total')).resolves.toBe(users.length * 2);
    await expect(drift(restoredUrl)).resolves.toBe(0);
    await ledger.close();
    ledger = undefined;

    // From the beginning: everything is read again, nothing changes.
    await expect(cli('ledger:reset-offsets', '--to-earliest', '--group', group, '--topic', topic)).resolves.toMatchObject({ code: 0 });
    ledger = await startLedgerOn(restoredUrl);
    await caughtUp();
    await expect(ledger.metric('ledger_duplicates_skipped_total')).resolves.toBe(users.length * 2 * 5);
    await expect(query(restoredUrl, TOTALS_SQL)).resolves.toEqual(latest);
    await expect(drift(restoredUrl)).resolves.toBe(0);
  }, 240_000);
});
