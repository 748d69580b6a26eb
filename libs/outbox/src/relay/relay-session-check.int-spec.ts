import { DataSource } from 'typeorm';
import { migratedDatabase, startRelay } from '@chat-ledger/outbox/testing';
import { createTestTopic, PGBOUNCER_BINARY, startPgBouncer, testKafkaBrokers } from '@chat-ledger/testing';

// PgBouncer comes from Debian's package (.ci/run installs it); without it there is no pooler to start behind.
(PGBOUNCER_BINARY ? describe : describe.skip)('outbox relay behind PgBouncer', () => {
  let url: string;
  let dataSource: DataSource;
  beforeAll(async () => {
    ({ url, dataSource } = await migratedDatabase('relay_pooler'));
  });
  afterAll(() => dataSource?.destroy());

  it('refuses to start, saying why and what to connect it to instead', async () => {
    const bouncer = await startPgBouncer(url, 'transaction');
    try {
      // Checked before anything else: the broker address does not matter.
      const start = startRelay(bouncer.url, '127.0.0.1:1');
      await expect(start).rejects.toThrow(/^outbox relay cannot start: its DATABASE_URL leads to a transaction-mode connection pooler \(/);
      await expect(start).rejects.toThrow('connect it to PostgreSQL directly or through a session-mode pool');
    } finally {
      await bouncer.stop();
    }
  });

  it('starts through a session-mode pool', async () => {
    const bouncer = await startPgBouncer(url, 'session');
    try {
      const topic = await createTestTopic('relay-pooler', 2);
      const host = await startRelay(bouncer.url, testKafkaBrokers(), { KAFKA_TOPIC: topic, KAFKA_TOPIC_PARTITIONS: '2' });
      expect(host.relay.status().running).toBe(true);
      await host.close();
    } finally {
      await bouncer.stop();
    }
  });
});
