import { DataSource, QueryRunner } from 'typeorm';
import { eventually } from '@chat-ledger/testing';
import { anEnvelope, migratedDatabase } from '../../test/relay-test-kit';
import { OutboxLock } from '../outbox-locks';
import { OutboxWriter } from './outbox-writer';

describe('OutboxWriter', () => {
  let dataSource: DataSource;
  const writer = new OutboxWriter();

  beforeAll(async () => {
    ({ dataSource } = await migratedDatabase('outbox_writer'));
  });
  afterAll(() => dataSource?.destroy());

  async function openTx(): Promise<QueryRunner> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    return runner;
  }

  const idOf = async (eventId: string): Promise<number> =>
    Number((await dataSource.query(`SELECT id FROM outbox.events WHERE event_id = $1`, [eventId]))[0].id);

  it('two transactions of one user commit in id order: the second waits for the first before it draws its id', async () => {
    const first = anEnvelope('same-user', 1);
    const second = anEnvelope('same-user', 2);
    const bystander = anEnvelope('another-user', 1);

    const tx1 = await openTx();
    const tx2 = await openTx();
    try {
      await writer.append(tx1.manager, { envelope: first, partitionKey: 'same-user' });
      const pending = writer.append(tx2.manager, { envelope: second, partitionKey: 'same-user' });
      // tx2 now waits on the user's advisory lock...
      await eventually(async () => {
        const [{ waiting }] = await dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid::int = $1`,
          [OutboxLock.userWrite],
        );
        expect(waiting).toBe(1);
      });
      // ...while another user's write goes straight through and takes the next id.
      await dataSource.transaction((m) => writer.append(m, { envelope: bystander, partitionKey: 'another-user' }));

      await tx1.commitTransaction();
      await pending;
      await tx2.commitTransaction();
    } finally {
      await tx1.release();
      await tx2.release();
    }

    const [id1, idBystander, id2] = [await idOf(first.id), await idOf(bystander.id), await idOf(second.id)];
    expect(id1).toBeLessThan(idBystander);
    expect(idBystander).toBeLessThan(id2); // drawn after tx1 committed, so visible order = id order
  });

  it('stores the envelope, key and headers (traceparent when given)', async () => {
    const envelope = anEnvelope('header-user', 1);
    await dataSource.transaction((m) => writer.append(m, { envelope, partitionKey: 'header-user', traceparent: '00-abc-def-01' }));
    const [row] = await dataSource.query(
      `SELECT event_type, partition_key, payload, headers, status, attempts, user_seq::int FROM outbox.events WHERE event_id = $1`,
      [envelope.id],
    );
    expect(row).toEqual({
      event_type: 'ledger.tokens.adjusted',
      partition_key: 'header-user',
      payload: { ...envelope, user_seq: 1 },
      headers: {
        'event-id': envelope.id,
        'event-type': 'ledger.tokens.adjusted',
        'content-type': 'application/json',
        traceparent: '00-abc-def-01',
        'user-seq': '1',
      },
      status: 'pending',
      attempts: 0,
      user_seq: 1,
    });
  });

  it("numbers each user's events 1, 2, 3, … in id order, also when their transactions run concurrently", async () => {
    const users = ['seq-a', 'seq-b', 'seq-c'];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        dataSource.transaction((m) => writer.append(m, { envelope: anEnvelope(users[i % 3]!, i), partitionKey: users[i % 3]! })),
      ),
    );
    for (const user of users) {
      const rows: Array<{ user_seq: number; seq_in_payload: number; seq_in_header: string }> = await dataSource.query(
        `SELECT user_seq::int, (payload->>'user_seq')::int AS seq_in_payload, headers->>'user-seq' AS seq_in_header
           FROM outbox.events WHERE partition_key = $1 ORDER BY id`,
        [user],
      );
      expect(rows.map((r) => r.user_seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(rows.every((r) => r.seq_in_payload === r.user_seq && r.seq_in_header === String(r.user_seq))).toBe(true);
    }
  });
});
