import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@chat-ledger/contracts';
import { OutboxWriter } from '../writer/outbox-writer';

/** What erasing one partition key (user) does to the outbox, or would do (dry run). */
export interface OutboxErasureCounts {
  /** Not published yet: still published (in order, so their spend is counted), then deleted at once. */
  pending: number;
  /** Published or skipped rows kept for replays: deleted now. */
  published: number;
  /** Dead rows: deleted now (their events never reached Kafka and never will). */
  dead: number;
}

/** The actor recorded in place of an erased user in the outbox's audit tables. */
export const ERASED_ACTOR = 'erased';

/**
 * Erasure of one user (partition key) in the outbox, in the caller's transaction. It appends the caller's
 * erasure event first: that takes the user's write lock (concurrent writes of the user wait, then come after
 * it) and numbers it after every earlier event of the user, so consumers see it last. Then:
 * - pending rows (and the erasure event) are flagged erase_on_publish: the relay publishes them in order and
 *   deletes them instead of keeping them for OUTBOX_RETENTION;
 * - published, skipped and dead rows are deleted (dead ones would hold the erasure event back forever);
 * - the user's sequence counter goes (a later event of the same id starts again at 1, as the ledger expects
 *   after its own erasure); replay audits filtered on the user forget the id; skip audits of the deleted rows
 *   lose their free-text reason; audit actors equal to the user id read 'erased'.
 */
@Injectable()
export class OutboxErasure {
  constructor(private readonly writer: OutboxWriter = new OutboxWriter()) {}

  async count(manager: EntityManager, partitionKey: string): Promise<OutboxErasureCounts> {
    const [row] = await manager.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status IN ('published', 'skipped'))::int AS published,
              count(*) FILTER (WHERE status = 'dead')::int AS dead
         FROM outbox.events WHERE partition_key = $1`,
      [partitionKey],
    );
    return row;
  }

  async erase<TData>(manager: EntityManager, partitionKey: string, erasureEvent: EventEnvelope<string, TData>): Promise<OutboxErasureCounts> {
    await this.writer.append(manager, { envelope: erasureEvent, partitionKey, eraseOnPublish: true });
    const [pending] = await manager.query(
      `UPDATE outbox.events SET erase_on_publish = true WHERE partition_key = $1 AND status = 'pending' AND event_id <> $2 RETURNING 1`,
      [partitionKey, erasureEvent.id],
    );
    const deleted: Array<{ status: string; event_id: string }> = (
      await manager.query(
        `DELETE FROM outbox.events WHERE partition_key = $1 AND status IN ('published', 'skipped', 'dead') RETURNING status, event_id::text`,
        [partitionKey],
      )
    )[0];
    await manager.query(`DELETE FROM outbox.user_sequences WHERE partition_key = $1`, [partitionKey]);
    await manager.query(`UPDATE outbox.skips SET reason = '(erased with its user)' WHERE event_id = ANY($1::uuid[])`, [deleted.map((d) => d.event_id)]);
    await manager.query(`UPDATE outbox.skips SET actor = $2 WHERE actor = $1`, [partitionKey, ERASED_ACTOR]);
    await manager.query(
      `UPDATE outbox.replays
          SET filter = jsonb_set(filter, '{user_ids}',
                (SELECT jsonb_agg(CASE WHEN u = to_jsonb($1::text) THEN to_jsonb($2::text) ELSE u END) FROM jsonb_array_elements(filter->'user_ids') u))
        WHERE jsonb_typeof(filter->'user_ids') = 'array' AND filter->'user_ids' ? $1`,
      [partitionKey, ERASED_ACTOR],
    );
    await manager.query(`UPDATE outbox.replays SET actor = $2 WHERE actor = $1`, [partitionKey, ERASED_ACTOR]);
    return {
      pending: pending.length,
      published: deleted.filter((d) => d.status !== 'dead').length,
      dead: deleted.filter((d) => d.status === 'dead').length,
    };
  }
}
