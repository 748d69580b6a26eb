import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** What the gateway's own tables hold of one user, by kind (without the outbox, which is the outbox's). */
export type ChatErasureCounts = Record<
  | 'conversations'
  | 'messages'
  | 'idempotency_keys'
  | 'tasks'
  | 'budgets'
  | 'budget_reservations'
  | 'budget_thresholds'
  | 'budget_changes'
  | 'usage_records'
  | 'organisation_bindings',
  number
>;

/** The actor written in place of an erased user in audit columns (budgets.updated_by, tasks.created_by, …). */
export const ERASED_ACTOR = 'erased';

/** Idempotency keys of the user, and stored responses of other callers that name the user anywhere. */
const IDEMPOTENCY_WHERE = `user_id = $1 OR jsonb_path_exists(coalesce(response_body, 'null'::jsonb), '$.** ? (@ == $u)', jsonb_build_object('u', $1::text))`;

const COUNTS_SQL = `
SELECT (SELECT count(*) FROM chat.conversations WHERE user_id = $1)::int AS conversations,
       (SELECT count(*) FROM chat.messages WHERE user_id = $1)::int AS messages,
       (SELECT count(*) FROM chat.idempotency_keys WHERE ${IDEMPOTENCY_WHERE})::int AS idempotency_keys,
       (SELECT count(*) FROM chat.tasks WHERE user_id = $1)::int AS tasks,
       (SELECT count(*) FROM chat.budgets WHERE user_id = $1)::int AS budgets,
       (SELECT count(*) FROM chat.budget_reservations WHERE user_id = $1)::int AS budget_reservations,
       (SELECT count(*) FROM chat.budget_thresholds WHERE user_id = $1)::int AS budget_thresholds,
       (SELECT count(*) FROM chat.budget_changes WHERE user_id = $1)::int AS budget_changes,
       (SELECT count(*) FROM chat.usage_records WHERE user_id = $1)::int AS usage_records,
       (SELECT count(*) FROM chat.user_orgs WHERE user_id = $1)::int AS organisation_bindings`;

@Injectable()
export class ErasureRepository {
  async count(manager: EntityManager, userId: string): Promise<ChatErasureCounts> {
    const [row] = await manager.query(COUNTS_SQL, [userId]);
    return row;
  }

  /** The organisation the user is bound to, if any. */
  async organisationOf(manager: EntityManager, userId: string): Promise<string | undefined> {
    const [row] = await manager.query(`SELECT org_id FROM chat.user_orgs WHERE user_id = $1`, [userId]);
    return row?.org_id;
  }

  /** Hard-deletes everything of the user in the chat schema (FK order); audit actors naming the user say 'erased'. */
  async erase(manager: EntityManager, userId: string): Promise<ChatErasureCounts> {
    const counts = await this.count(manager, userId);
    // Another user's usage record naming one of these conversations keeps its usage, not the link.
    await manager.query(
      `UPDATE chat.usage_records SET conversation_id = NULL
        WHERE user_id <> $1 AND conversation_id IN (SELECT id FROM chat.conversations WHERE user_id = $1)`,
      [userId],
    );
    await manager.query(`DELETE FROM chat.usage_records WHERE user_id = $1`, [userId]); // revisions cascade
    await manager.query(`DELETE FROM chat.budget_reservations WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.budget_thresholds WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.budget_changes WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.budgets WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.tasks WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.idempotency_keys WHERE ${IDEMPOTENCY_WHERE}`, [userId]);
    await manager.query(`DELETE FROM chat.messages WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM chat.conversations WHERE user_id = $1`, [userId]);
    // The binding says which organisation the user was in: it names the user, so it goes. The organisation's
    // totals stay in the ledger under the pseudonym; a user with the same id later is bound afresh.
    await manager.query(`DELETE FROM chat.user_orgs WHERE user_id = $1`, [userId]);
    for (const [table, column] of [
      ['budgets', 'updated_by'],
      ['budget_changes', 'actor'],
      ['tasks', 'created_by'],
      ['tasks', 'completed_by'],
      ['erasures', 'actor'],
      ['user_orgs', 'bound_by'],
      ['org_budgets', 'updated_by'],
    ] as const) {
      await manager.query(`UPDATE chat.${table} SET ${column} = $2 WHERE ${column} = $1`, [userId, ERASED_ACTOR]);
    }
    return counts;
  }

  async audit(manager: EntityManager, row: { id: string; actor: string; eventId: string; removed: Record<string, number> }): Promise<string> {
    const [inserted] = await manager.query(
      `INSERT INTO chat.erasures (id, actor, event_id, removed) VALUES ($1, $2, $3, $4)
       RETURNING to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS requested_at`,
      [row.id, row.actor, row.eventId, JSON.stringify(row.removed)],
    );
    return inserted.requested_at;
  }
}
