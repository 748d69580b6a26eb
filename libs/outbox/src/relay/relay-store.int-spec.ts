import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { migratedDatabase, statusCounts, writeEvents } from '../../test/relay-test-kit';
import { claimBatch, markPublished } from './relay-store';

// Real PostgreSQL: the relay's statements on a migrated outbox.

describe('relay store: claiming and marking a batch', () => {
  let dataSource: DataSource;
  let url: string;
  let client: Client;

  beforeEach(async () => {
    const db = await migratedDatabase('relay_store');
    ({ dataSource, url } = db);
    client = new Client({ connectionString: url });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
    await dataSource.destroy();
  });

  const allShards = Array.from({ length: 64 }, (_, s) => s);
  const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
  /** Claims every due row, in a transaction of its own (its locks end with it, as for a batch claimed ahead). */
  const claimed = async () => {
    await client.query('BEGIN');
    try {
      return await claimBatch(client, allShards, 100);
    } finally {
      await client.query('COMMIT');
    }
  };
  /** Marks the rows in a transaction of its own, as the relay does after Kafka's ack; the rows it took. */
  const markedCommitted = async (rowIds: string[]) => {
    await client.query('BEGIN');
    try {
      return await markPublished(client, rowIds);
    } finally {
      await client.query('COMMIT');
    }
  };

  it('marks every row of a batch without erased users published', async () => {
    await writeEvents(dataSource, ['store-a', 'store-b'], 3, { concurrency: 1 });
    await expect(markedCommitted(ids(await claimed()))).resolves.toBe(6);
    await expect(statusCounts(dataSource)).resolves.toEqual({ published: 6 });
  });

  it('deletes the rows of an erased user instead, also when the flag came after the claim', async () => {
    await writeEvents(dataSource, ['kept', 'erased'], 2, { concurrency: 1 });
    const rows = await claimed();
    // An erasure flags the user's pending rows between the claim (its locks gone with its transaction, as for a
    // batch claimed ahead) and the mark: the mark reads the flag, so the rows go instead of staying for replays.
    await dataSource.query(`UPDATE outbox.events SET erase_on_publish = true WHERE partition_key = 'erased'`);
    await expect(markedCommitted(ids(rows))).resolves.toBe(4);
    await expect(dataSource.query(`SELECT partition_key, status FROM outbox.events ORDER BY id`)).resolves.toEqual([
      { partition_key: 'kept', status: 'published' },
      { partition_key: 'kept', status: 'published' },
    ]);
  });

  it('leaves rows that are no longer pending alone', async () => {
    await writeEvents(dataSource, ['store-dead'], 2, { concurrency: 1 });
    const [first] = await dataSource.query(`SELECT id::text AS id FROM outbox.events ORDER BY id LIMIT 1`);
    await dataSource.query(`UPDATE outbox.events SET status = 'dead', attempts = 5 WHERE id = $1`, [first.id]);
    const all: Array<{ id: string }> = await dataSource.query(`SELECT id::text AS id FROM outbox.events ORDER BY id`);
    await expect(markedCommitted(ids(all))).resolves.toBe(1);
    await expect(statusCounts(dataSource)).resolves.toEqual({ dead: 1, published: 1 });
  });

  it('does not skip a row an erasure is flagging: the claim takes it, so no later row of that user goes first', async () => {
    await writeEvents(dataSource, ['being-erased'], 2, { concurrency: 1 });
    const written: string[] = ids(await dataSource.query(`SELECT id::text AS id FROM outbox.events ORDER BY id`));
    // An erasure's UPDATE in the middle of its work: the user's first pending row flagged and locked, the next one not yet.
    const erasure = new Client({ connectionString: url });
    await erasure.connect();
    try {
      await erasure.query('BEGIN');
      await erasure.query(`UPDATE outbox.events SET erase_on_publish = true WHERE id = $1`, [written[0]]);
      await expect(claimed().then(ids)).resolves.toEqual(written);
    } finally {
      await erasure.query('ROLLBACK').catch(() => undefined);
      await erasure.end();
    }
  });
});
